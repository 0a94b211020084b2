"""Real SDK events normalized as Sentry normalizes them: sentry-sdk messages that differ only in
their values are one issue (Sentry's parameterization), and an event with user, contexts,
breadcrumbs, request, extra and tags keeps all of it through the processor's normalization."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime
from typing import Any

import requests
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from shared.ingest.event import normalize_event
from tests.clients.test_sentry_sdk_ingest import sdk
from tests.conftest import World
from tests.integration.test_ingest_api import project_dsn


def _word() -> str:
    """A marker no parameterization replaces (letters beyond hex, no digits)."""
    return "".join(random.choices(string.ascii_lowercase[6:], k=12))


def _issues(base_url: str, world: World, marker: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/issues/",
        params={"query": ""},
        headers=world.headers(),
    )
    assert response.status_code == 200, response.text
    return [issue for issue in response.json() if marker in issue["title"]]


def test_messages_that_differ_in_values_are_one_issue(base_url, world: World) -> None:
    dsn, _ = project_dsn(base_url, world)
    marker = _word()
    with sdk(dsn):
        sentry_sdk.capture_message(f"Order 12345 failed at 10:31 for {marker}")
        sentry_sdk.capture_message(f"Order 67890 failed at 11:02 for {marker}")
        sentry_sdk.capture_message(f"Order 67890 shipped for {marker}")
    issues = _issues(base_url, world, marker)
    counts = sorted((issue["count"], issue["title"].split(" for ")[0].split()[-1]) for issue in issues)
    assert counts == [("1", "shipped"), ("2", "10:31")] or counts == [("1", "shipped"), ("2", "11:02")]


class _Capture(Transport):
    """Keeps the envelopes the SDK would send (what its HTTP transport writes)."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


def _rich_event() -> None:
    sentry_sdk.get_isolation_scope().clear_breadcrumbs()  # none left by another test of this process
    sentry_sdk.set_user({"id": "42", "email": "ada@example.com"})
    sentry_sdk.set_tag("region", "eu")
    sentry_sdk.set_context("cart", {"items": 3})
    sentry_sdk.set_extra("coupon", "SPRING")
    sentry_sdk.add_breadcrumb(category="http", message="GET /cart", level="info")
    try:
        {}["missing"]
    except KeyError as error:
        sentry_sdk.capture_exception(error)


def test_a_rich_sdk_event_keeps_what_it_sent(base_url, world: World) -> None:
    options = {"release": "shop@1.4.0", "environment": "staging", "dist": "7", "server_name": "web-1"}
    transport = _Capture()
    sentry_sdk.init(
        dsn="https://key@example.invalid/1", transport=transport, default_integrations=False, **options
    )
    try:
        _rich_event()
        sentry_sdk.flush(timeout=5)
    finally:
        sentry_sdk.get_client().close()
    [payload] = [e.get_event() for e in transport.envelopes if e.get_event() is not None]
    data = normalize_event(payload, datetime.now(UTC), 1).data  # what the processor keeps
    assert data["user"]["id"] == "42" and data["user"]["email"] == "ada@example.com"
    assert data["contexts"]["cart"]["items"] == 3 and data["contexts"]["trace"]["trace_id"]
    assert data["extra"]["coupon"] == "SPRING"
    assert [c["message"] for c in data["breadcrumbs"]["values"]] == ["GET /cart"]
    assert ["region", "eu"] in data["tags"] and ["server_name", "web-1"] in data["tags"]
    assert data["sdk"]["name"] == "sentry.python"
    [exception] = data["exception"]["values"]
    assert exception["type"] == "KeyError" and exception["mechanism"]["handled"] is True
    assert exception["stacktrace"]["frames"][-1]["function"] == "_rich_event"
    assert (data["release"], data["dist"], data["environment"]) == ("shop@1.4.0", "7", "staging")

    # the same event sent for real: what the API shows of it today comes from that normalized event
    dsn, _ = project_dsn(base_url, world)
    with sdk(dsn, **options):
        _rich_event()
    [issue] = [i for i in _issues(base_url, world, "KeyError") if i["culprit"].endswith("_rich_event")]
    assert (issue["title"], issue["userCount"], issue["level"]) == ("KeyError: 'missing'", 1, "error")
    latest = requests.get(f"{base_url}/api/0/issues/{issue['id']}/events/latest/", headers=world.headers())
    assert latest.status_code == 200, latest.text
    tags = {tag["key"]: tag["value"] for tag in latest.json()["tags"]}
    assert {k: tags.get(k) for k in ("region", "server_name", "release", "environment", "level")} == {
        "region": "eu",
        "server_name": "web-1",
        "release": "shop@1.4.0",
        "environment": "staging",
        "level": "error",
    }
