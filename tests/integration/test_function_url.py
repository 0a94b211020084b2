"""Ingestion on the ingestion function's own URL (a Lambda function URL; locally a port of its own):
the DSN names it, envelopes and store bodies sent there are counted, anything else is Sentry's 404,
browsers get the CORS answers Relay gives, and the API's routes are not served there."""

from __future__ import annotations

import json
import os
import uuid

import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from local.function_url import FunctionUrl
from tests.conftest import World
from tests.integration.test_ingest_api import (
    _auth,
    _envelope,
    _event,
    _event_item,
    _public_key,
    project_dsn,
    project_groups,
)


def _ingest(base_url: str, world: World) -> tuple[str, str, int]:
    """(the DSN's base URL, its public key, the project id)."""
    dsn, project_id = project_dsn(base_url, world)
    host = dsn.split("@", 1)[1].rsplit("/", 1)[0]
    return f"{dsn.split('//', 1)[0]}//{host}", _public_key(dsn), project_id


def test_the_dsn_names_the_ingestion_host_not_the_api(base_url, world: World) -> None:
    ingest, _, _ = _ingest(base_url, world)
    assert ingest == os.environ["INGEST_URL"] and ingest != base_url


def test_envelopes_and_store_bodies_sent_to_the_dsn_host_are_counted(base_url, world: World) -> None:
    ingest, key, project_id = _ingest(base_url, world)
    first, second = _event(message="one"), _event(transaction=f"/checkout/{uuid.uuid4().hex}")
    envelope = requests.post(
        f"{ingest}/api/{project_id}/envelope/", data=_envelope(_event_item(first)), headers=_auth(key)
    )
    assert (envelope.status_code, envelope.json()) == (200, {"id": first["event_id"]})
    store = requests.post(f"{ingest}/api/{project_id}/store/?sentry_key={key}", json=second)
    assert (store.status_code, store.json()) == (200, {"id": second["event_id"]})
    [group] = project_groups(project_id)  # both events are the same KeyError
    assert (group.title, group.times_seen) == ("KeyError: 'user'", 2)


def test_other_paths_and_methods_are_sentry_404s(base_url, world: World) -> None:
    ingest, key, project_id = _ingest(base_url, world)
    for method, path in [
        ("GET", f"/api/0/projects/{world.org}/{world.project}/keys/"),  # the API is not served here
        ("GET", f"/api/{project_id}/envelope/"),
        ("POST", "/api/web/envelope/"),
        ("POST", f"/api/{project_id}/minidump/"),
        ("GET", "/"),
    ]:
        answer = requests.request(method, f"{ingest}{path}", headers={**world.headers(), **_auth(key)})
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json() == {"detail": "The requested resource does not exist"}, (method, path)
    refused = requests.post(f"{ingest}/api/{project_id}/envelope/", data=_envelope(_event_item(_event())))
    assert refused.status_code == 401
    assert refused.json() == {
        "detail": "Missing DSN public key (X-Sentry-Auth header or sentry_key parameter)"
    }
    assert project_groups(project_id) == []


def test_browsers_get_relays_cors_answers(base_url, world: World) -> None:
    ingest, key, project_id = _ingest(base_url, world)
    url = f"{ingest}/api/{project_id}/envelope/?sentry_key={key}"
    origin = {"Origin": "https://shop.example.com"}
    preflight = requests.options(
        url,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200 and preflight.content == b""
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST"
    allowed = preflight.headers["Access-Control-Allow-Headers"].split(",")
    assert {"x-sentry-auth", "content-type", "content-encoding"} <= set(allowed)
    assert preflight.headers["Access-Control-Max-Age"] == "3600"
    event = _event()
    sent = requests.post(
        url, data=_envelope(_event_item(event)), headers={**origin, "Content-Type": "text/plain"}
    )
    assert (sent.status_code, sent.json()) == (200, {"id": event["event_id"]})
    assert sent.headers["Access-Control-Allow-Origin"] == "*"
    exposed = sent.headers["Access-Control-Expose-Headers"].split(",")
    assert {"x-sentry-rate-limits", "retry-after"} <= set(exposed)
    # no Origin, no CORS headers (as Lambda adds them)
    plain = requests.post(url, data=_envelope(_event_item(_event())))
    assert plain.status_code == 200 and "Access-Control-Allow-Origin" not in plain.headers
    assert len(project_groups(project_id)) == 1


def test_the_event_is_a_function_urls() -> None:
    """Payload format 2.0 without routes: ``$default`` route key and stage, the full path as sent,
    no path parameters, the body by the same text rules."""
    body = json.dumps({"a": 1}).encode()
    request = Request(
        EnvironBuilder(
            method="POST",
            path="/api/42/store/",
            query_string="sentry_key=abc",
            data=body,
            headers={"Content-Type": "application/json", "Host": "abc123.lambda-url.us-east-1.on.aws"},
        ).get_environ()
    )
    event = FunctionUrl.of_template().event(request)
    assert FunctionUrl.of_template().function == "IngestFunction"
    assert (event["version"], event["routeKey"], event["rawPath"]) == ("2.0", "$default", "/api/42/store/")
    context = event["requestContext"]
    assert (context["routeKey"], context["stage"], context["http"]["path"]) == (
        "$default",
        "$default",
        "/api/42/store/",
    )
    assert context["domainName"] == "abc123.lambda-url.us-east-1.on.aws"
    assert context["domainPrefix"] == "abc123"
    assert "pathParameters" not in event
    assert event["queryStringParameters"] == {"sentry_key": "abc"}
    assert (event["body"], event["isBase64Encoded"]) == (body.decode(), False)


def test_without_an_ingestion_url_the_dsn_names_the_public_url(monkeypatch) -> None:
    """A deployment that sets no ``INGEST_URL`` (bench scripts, or the functions that hand out no
    DSN) hands out DSNs on its public URL, whose API routes ingest too."""
    from shared.config import settings
    from shared.projects.keys import dsn
    from shared.storage.accounts import ProjectKey

    key = ProjectKey(public_key="a" * 32, secret_key="b" * 32, project_id=7)
    try:
        monkeypatch.setenv("INGEST_URL", "")
        monkeypatch.setenv("PUBLIC_URL", "https://sentry.example.com/")
        settings.cache_clear()
        assert dsn(key) == f"https://{'a' * 32}@sentry.example.com/7"
        monkeypatch.setenv("INGEST_URL", "https://abc.lambda-url.eu-west-1.on.aws/")
        settings.cache_clear()
        assert (
            dsn(key, with_secret=True) == f"https://{'a' * 32}:{'b' * 32}@abc.lambda-url.eu-west-1.on.aws/7"
        )
    finally:
        monkeypatch.undo()
        settings.cache_clear()
