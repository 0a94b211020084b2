"""The HTTP API's body rules through the local adapter: every body an SDK sends (plain, gzip, deflate,
br; JSON, envelope and text content types; ``/store/`` and ``/envelope/``) reaches ingestion byte for
byte; what cannot be read is a clear 4xx."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
import zlib
from collections.abc import Callable

import brotli
import pytest
import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from local.gateway import HttpApi, is_text, proxy_response
from local.template import routes
from tests.conftest import World

ENCODINGS: dict[str, Callable[[bytes], bytes]] = {
    "identity": lambda data: data,
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
}
ENVELOPE_TYPES = ("application/x-sentry-envelope", "text/plain;charset=UTF-8", "application/octet-stream")


def _request(body: bytes, content_type: str, encoding: str | None = None, **headers: str) -> Request:
    headers = {"Content-Type": content_type, **headers}
    if encoding:
        headers["Content-Encoding"] = encoding
    return Request(
        EnvironBuilder(method="POST", path="/api/1/store/", data=body, headers=headers).get_environ()
    )


def _store_route():
    return next(r for r in routes() if r.path == "/api/{project_id}/store")


def _event(request: Request) -> dict:
    return HttpApi().event(request, _store_route(), "/api/1/store/", {"project_id": "1"})


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "identity"])
@pytest.mark.parametrize("content_type", ["application/json", *ENVELOPE_TYPES])
def test_a_body_with_a_content_encoding_arrives_base64_encoded(content_type: str, encoding: str) -> None:
    data = ENCODINGS[encoding](b'{"message": "hi"}')
    event = _event(_request(data, content_type, encoding))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data


@pytest.mark.parametrize(
    "content_type",
    ["application/x-sentry-envelope", "application/octet-stream", "multipart/form-data; boundary=x"],
)
def test_a_body_that_is_not_text_arrives_base64_encoded(content_type: str) -> None:
    data = b"\x00\xff binary \x80"
    event = _event(_request(data, content_type))
    assert (base64.b64decode(event["body"]), event["isBase64Encoded"]) == (data, True)


def test_an_uncompressed_text_body_arrives_as_text() -> None:
    for content_type in ("application/json", "Application/JSON; charset=utf-8", "text/plain;charset=UTF-8"):
        event = _event(_request('{"a": "é"}'.encode(), content_type))
        assert (event["body"], event["isBase64Encoded"]) == ('{"a": "é"}', False)
    assert is_text("application/xml", None) and is_text("application/javascript", "")
    assert not is_text("application/json", "gzip") and not is_text(None, None)


def test_the_event_is_payload_2_0() -> None:
    request = Request(
        EnvironBuilder(
            method="GET",
            path="/api/0/organizations/acme/releases/a%2Bb/",
            query_string="project=1&project=2&per_page=5",
            headers=[("X-Thing", "one"), ("X-Thing", "two"), ("Cookie", "a=1; b=2"), ("User-Agent", "ua/1")],
        ).get_environ()
    )
    route = next(
        r for r in routes() if (r.method, r.path) == ("GET", "/api/0/organizations/{org}/releases/{version}")
    )
    path = "/api/0/organizations/acme/releases/a%2Bb/"
    event = HttpApi().event(request, route, path, {"org": "acme", "version": "a%2Bb"})
    assert (
        event["version"] == "2.0" and event["routeKey"] == "GET /api/0/organizations/{org}/releases/{version}"
    )
    assert (event["rawPath"], event["rawQueryString"]) == (path, "project=1&project=2&per_page=5")
    assert event["queryStringParameters"] == {"project": "1,2", "per_page": "5"}
    assert event["headers"]["x-thing"].replace(" ", "") == "one,two" and "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2"]
    http = event["requestContext"]["http"]
    assert (http["method"], http["path"], http["userAgent"]) == ("GET", path, "ua/1")
    assert event["requestContext"]["stage"] == "$default" and event["requestContext"]["requestId"]
    assert event["pathParameters"] == {"org": "acme", "version": "a+b"}
    assert event["isBase64Encoded"] is False and "body" not in event


def test_results_follow_the_2_0_response_rules() -> None:
    png = {"statusCode": 201, "headers": {"Content-Type": "image/png"}, "isBase64Encoded": True}
    png["body"] = base64.b64encode(b"\x89PNG").decode()
    png["cookies"] = ["a=1; Path=/", "b=2"]
    answer = proxy_response(png)
    assert (answer.status_code, answer.get_data()) == (201, b"\x89PNG")
    assert answer.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2"]
    bare = proxy_response({"id": "x"})
    assert (bare.status_code, bare.content_type, bare.get_json()) == (200, "application/json", {"id": "x"})
    assert proxy_response("hello").get_data() == b'"hello"'


@pytest.fixture
def ingest(base_url: str, world: World) -> tuple[str, str]:
    """(base ingest URL of the world's project, its public key)."""
    from shared.accounts.organizations import find_organization
    from shared.projects.keys import list_project_keys
    from shared.storage.accounts import Project

    org = find_organization(world.org)
    project = Project.get(*Project.key(org.id, world.project))
    return f"{base_url}/api/{project.id}", str(list_project_keys(project)[0].public_key)


def _auth(key: str) -> dict[str, str]:
    return {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7, sentry_client=test/1.0"}


def _sentry_event() -> dict:
    return {"event_id": uuid.uuid4().hex, "level": "error", "message": "body rules"}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_store_bodies_arrive_intact(ingest: tuple[str, str], encoding: str) -> None:
    url, key = ingest
    event = _sentry_event()
    headers = {**_auth(key), "Content-Type": "application/json"}
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    response = requests.post(
        f"{url}/store/", data=ENCODINGS[encoding](json.dumps(event).encode()), headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"id": event["event_id"]}


@pytest.mark.parametrize("content_type", ENVELOPE_TYPES)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_envelope_bodies_arrive_intact(ingest: tuple[str, str], encoding: str, content_type: str) -> None:
    url, key = ingest
    event = _sentry_event()
    payload = json.dumps(event).encode()
    envelope = b"\n".join(
        [
            json.dumps({"event_id": event["event_id"]}).encode(),
            json.dumps({"type": "event", "length": len(payload)}).encode(),
            payload,
        ]
    )
    headers = {**_auth(key), "Content-Type": content_type}
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    response = requests.post(f"{url}/envelope/", data=ENCODINGS[encoding](envelope), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": event["event_id"]}


def test_unreadable_bodies_are_clear_4xx(ingest: tuple[str, str], base_url: str, world: World) -> None:
    url, key = ingest
    unknown = requests.post(
        f"{url}/store/", data=b"...", headers={**_auth(key), "Content-Encoding": "compress"}
    )
    assert unknown.status_code == 415 and unknown.json() == {
        "detail": "Unsupported Content-Encoding: compress"
    }
    corrupt = requests.post(
        f"{url}/envelope/", data=b"\x1f\x8b not gzip", headers={**_auth(key), "Content-Encoding": "gzip"}
    )
    assert 400 <= corrupt.status_code < 500 and corrupt.json()["detail"]
    projects = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"
    not_json = requests.post(
        projects,
        data=b'{"name": "x"}',
        headers={**world.headers(), "Content-Type": "application/octet-stream"},
    )
    assert not_json.status_code == 415 and not_json.json() == {
        "detail": 'Unsupported media type "application/octet-stream" in request.'
    }
    # with a Content-Encoding the body reaches the function base64-encoded, byte for byte: bytes that
    # are not UTF-8 are a JSON parse error, not a 500
    not_utf8 = requests.post(
        projects,
        data=b'{"name": "\xff\xfe"}',
        headers={**world.headers(), "Content-Type": "application/json", "Content-Encoding": "identity"},
    )
    assert not_utf8.status_code == 400 and not_utf8.json() == {
        "detail": "JSON parse error - the request body is not valid JSON."
    }
