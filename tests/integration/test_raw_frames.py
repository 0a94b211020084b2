"""A minified event through the real ingest and processor, read back as Sentry's event body: the
exception its source map resolved carries the frames the SDK sent as ``rawStacktrace`` beside the
resolved ``stacktrace``, one without a map has ``rawStacktrace`` null, and what went wrong is in
the event's ``errors`` in Sentry's shape (type, message, data)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import replace
from typing import Any

import requests
import sentry_sdk

from tests.clients.test_sentry_sdk_ingest import sdk
from tests.conftest import World
from tests.integration.test_artifact_uploads import upload_bundle
from tests.integration.test_ingest_api import project_dsn

DEBUG_ID = "3c1f0e2d-8b7a-4c6d-9e5f-1a2b3c4d5e6f"
ORIGINAL = 'export function placeOrder(cart) {\n  throw new Error("declined");\n}\n'
# Generated column 15 of line 1 (the ``throw``) maps to line 2, column 3 of src/checkout.js.
SOURCE_MAP = {
    "version": 3,
    "sources": ["src/checkout.js"],
    "sourcesContent": [ORIGINAL],
    "names": [],
    "mappings": "AAAA,eACE",
}
MINIFIED_FRAME = {
    "abs_path": "/srv/app.js",
    "filename": "/srv/app.js",
    "lineno": 1,
    "colno": 16,
    "function": "t",
    "in_app": True,
}
UNMAPPED_FRAME = {"abs_path": "/srv/vendor.js", "filename": "/srv/vendor.js", "lineno": 3, "colno": 7}


def minified_bundle() -> bytes:
    """The bundle of the minified file's map, by debug id, the same bytes each time (so the same
    checksum, as sentry-cli uploading the same files again)."""
    buffer = io.BytesIO()
    manifest = {
        "files": {"app.map": {"url": "~/app.js.map", "type": "source_map", "headers": {"debug-id": DEBUG_ID}}}
    }
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (("manifest.json", json.dumps(manifest)), ("app.map", json.dumps(SOURCE_MAP))):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


def send_minified_event(base_url: str, world: World) -> tuple[str, str]:
    """Upload the map (by debug id, as ``sentry-cli sourcemaps inject/upload`` does), send a node
    event thrown from the minified file with a cause from a file without a map; the event id and
    its issue id once processed."""
    upload_bundle(base_url, world, minified_bundle())
    dsn, _ = project_dsn(base_url, world)
    event = {
        "platform": "node",
        "exception": {
            "values": [
                {"type": "TypeError", "value": "cart is empty", "stacktrace": {"frames": [UNMAPPED_FRAME]}},
                {"type": "Error", "value": "declined", "stacktrace": {"frames": [MINIFIED_FRAME]}},
            ]
        },
        "debug_meta": {"images": [{"type": "sourcemap", "code_file": "/srv/app.js", "debug_id": DEBUG_ID}]},
    }
    with sdk(dsn):
        event_id = sentry_sdk.capture_event(event)
    assert event_id
    answer = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/events/{event_id}/",
        headers=world.headers(),
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return event_id, answer.json()["groupID"]


def _exception_values(body: dict[str, Any]) -> list[dict[str, Any]]:
    [entry] = [e for e in body["entries"] if e["type"] == "exception"]
    return entry["data"]["values"]


def test_a_resolved_exception_carries_its_minified_frames_as_raw_stacktrace(
    base_url: str, world: World
) -> None:
    event_id, issue_id = send_minified_event(base_url, world)
    answer = requests.get(
        f"{base_url}/api/0/issues/{issue_id}/events/{event_id}/", headers=world.headers(), timeout=60
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    cause, error = _exception_values(body)

    [original] = error["stacktrace"]["frames"]
    assert (original["filename"], original["absPath"]) == ("src/checkout.js", "/srv/src/checkout.js")
    assert (original["lineNo"], original["colNo"]) == (2, 3)
    assert dict(original["context"])[2] == '  throw new Error("declined");'
    [minified] = error["rawStacktrace"]["frames"]
    assert (minified["filename"], minified["absPath"]) == ("/srv/app.js", "/srv/app.js")
    assert (minified["lineNo"], minified["colNo"], minified["function"]) == (1, 16, "t")
    assert minified["context"] == []  # no source lines were sent for the minified file
    assert set(error["rawStacktrace"]) == set(error["stacktrace"])  # the same shape as the resolved one

    assert cause["rawStacktrace"] is None  # nothing resolved: no second copy
    assert cause["stacktrace"]["frames"][0]["absPath"] == "/srv/vendor.js"

    assert body["errors"] == [
        {"type": "js_no_source", "message": "Source code was not found", "data": {"url": "/srv/vendor.js"}}
    ]
    # the event lists answer the same body with ``full``
    listed = requests.get(
        f"{base_url}/api/0/issues/{issue_id}/events/",
        params={"full": "1"},
        headers=world.headers(),
        timeout=60,
    )
    assert listed.status_code == 200, listed.text
    [full] = listed.json()
    assert _exception_values(full)[1]["rawStacktrace"] == error["rawStacktrace"]


def test_a_bundle_uploaded_again_for_another_project_resolves_that_projects_events(
    base_url: str, world: World
) -> None:
    """The bytes are stored once per organization (by checksum); the second project's upload of the
    same bundle indexes it for that project too."""
    upload_bundle(base_url, world, minified_bundle())
    created = requests.post(
        f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/",
        json={"name": "Second"},
        headers=world.headers(),
        timeout=60,
    )
    assert created.status_code == 201, created.text
    second = replace(world, project=created.json()["slug"])
    event_id, issue_id = send_minified_event(base_url, second)  # uploads the same bundle for it
    answer = requests.get(
        f"{base_url}/api/0/issues/{issue_id}/events/{event_id}/", headers=world.headers(), timeout=60
    )
    assert answer.status_code == 200, answer.text
    [original] = _exception_values(answer.json())[1]["stacktrace"]["frames"]
    assert (original["filename"], original["lineNo"], original["colNo"]) == ("src/checkout.js", 2, 3)
    listed = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{second.project}/files/artifact-bundles/",
        headers=world.headers(),
        timeout=60,
    )
    assert [b["bundleId"] for b in listed.json()] == [hashlib.sha1(minified_bundle()).hexdigest()]
