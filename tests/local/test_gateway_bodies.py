"""API Gateway's body rules as the template configures them, through the local adapter: every body
an SDK sends (plain, gzip, deflate, br; JSON, envelope and text content types; ``/store/`` and
``/envelope/``) reaches ingestion byte for byte; what cannot be read is a clear 4xx."""

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

from local.gateway import RestApi
from local.template import routes
from tests.conftest import World

ENCODINGS: dict[str, Callable[[bytes], bytes]] = {
    "identity": lambda data: data,
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
}
ENVELOPE_TYPES = ("application/x-sentry-envelope", "text/plain;charset=UTF-8", "application/octet-stream")


def _request(body: bytes, content_type: str, accept: str = "*/*") -> Request:
    return Request(
        EnvironBuilder(
            method="POST",
            path="/api/1/store/",
            data=body,
            headers={"Content-Type": content_type, "Accept": accept},
        ).get_environ()
    )


def _store_route():
    return next(r for r in routes() if r.path == "/api/{project_id}/store")


def test_the_template_makes_every_body_binary() -> None:
    api = RestApi.from_template()
    compressed = gzip.compress(b'{"message": "hi"}')
    for content_type in ("application/json", *ENVELOPE_TYPES, "multipart/form-data; boundary=x"):
        event = api.event(
            _request(compressed, content_type), _store_route(), "/api/1/store/", {"project_id": "1"}
        )
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == compressed


def test_a_text_media_type_arrives_as_text_and_compressed_bytes_arrive_mangled() -> None:
    """What the previous template did to gzip'd JSON on /store/: API Gateway passes it as UTF-8 text."""
    api = RestApi(stage="v1", binary_media_types=("application/x-sentry-envelope", "image/*"))
    plain = api.event(_request(b'{"a": 1}', "application/json"), _store_route(), "/api/1/store/", {})
    assert (plain["body"], plain["isBase64Encoded"]) == ('{"a": 1}', False)
    compressed = gzip.compress(b'{"message": "hi"}')
    mangled = api.event(_request(compressed, "application/json"), _store_route(), "/api/1/store/", {})
    assert mangled["isBase64Encoded"] is False and mangled["body"].encode("utf-8") != compressed
    assert api.is_binary("image/png") and api.is_binary("Application/X-Sentry-Envelope; charset=x")
    assert not api.is_binary("application/json") and not api.is_binary(None)


def test_a_base64_result_is_bytes_only_for_a_binary_media_type() -> None:
    api = RestApi(stage="v1", binary_media_types=("image/png",))
    result = {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "isBase64Encoded": True}
    result["body"] = base64.b64encode(b"\x89PNG").decode()
    assert api.response(_request(b"", "text/plain"), result).get_data() == b"\x89PNG"
    as_text = {**result, "headers": {"Content-Type": "text/plain"}}
    assert (
        api.response(_request(b"", "text/plain", accept="text/plain"), as_text).get_data()
        == result["body"].encode()
    )


@pytest.fixture
def ingest(base_url: str, world: World) -> tuple[str, str]:
    """(base ingest URL of the world's project, its public key)."""
    from shared.accounts.organizations import find_organization
    from shared.projects.keys import list_project_keys
    from shared.storage.accounts import Project

    org = find_organization(world.org)
    project = Project.get(*Project.key(int(org.id), world.project))
    return f"{base_url}/api/{project.id}", str(list_project_keys(project)[0].public_key)


def _auth(key: str) -> dict[str, str]:
    return {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7, sentry_client=test/1.0"}


def _event() -> dict:
    return {"event_id": uuid.uuid4().hex, "level": "error", "message": "body rules"}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_store_bodies_arrive_intact(ingest: tuple[str, str], encoding: str) -> None:
    url, key = ingest
    event = _event()
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
    event = _event()
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
    not_utf8 = requests.post(
        f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/",
        data=b'{"name": "\xff\xfe"}',
        headers={**world.headers(), "Content-Type": "application/json"},
    )
    assert not_utf8.status_code == 400 and not_utf8.json()["detail"]
