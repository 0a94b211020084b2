"""Real SDKs' events come back from Sentry's event endpoints with what they sent: sentry-sdk
(Python) and @sentry/node, each with a user, tags, contexts, breadcrumbs, request data and a
release, read by id within the issue and the project, resolved by ``eventids`` and listed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
import sentry_sdk

from tests.clients.test_sentry_sdk_ingest import sdk
from tests.conftest import World, events_processed
from tests.integration.test_ingest_api import project_dsn

SENTRY_NODE = "11.12.0"
SCRIPT = Path(__file__).parent / "js" / "send_event.js"


@pytest.fixture(scope="session")
def sentry_node() -> Path:
    """@sentry/node from npm, installed once in the tools cache (as the browser suite's axe-core)."""
    cache = Path(os.environ.get("WATCHTOWER_CACHE") or Path.home() / ".cache" / "watchtower")
    prefix = cache / f"sentry-node-{SENTRY_NODE}"
    if not (prefix / "node_modules" / "@sentry" / "node" / "package.json").exists():
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(prefix),
                f"@sentry/node@{SENTRY_NODE}",
            ],
            check=True,
            timeout=300,
        )
    return prefix / "node_modules"


def _get(base_url: str, world: World, path: str) -> dict[str, Any]:
    answer = requests.get(f"{base_url}/api/0/{path}", headers=world.headers(), timeout=30)
    assert answer.status_code == 200, (path, answer.text)
    return answer.json()


def _read_everywhere(base_url: str, world: World, event_id: str) -> dict[str, Any]:
    """The event as every endpoint answers it, checked to agree; its details."""
    resolved = _get(base_url, world, f"organizations/{world.org}/eventids/{event_id}/")
    group_id = resolved["groupId"]
    by_issue = _get(base_url, world, f"issues/{group_id}/events/{event_id}/")
    by_project = _get(base_url, world, f"projects/{world.org}/{world.project}/events/{event_id}/")
    latest = _get(base_url, world, f"issues/{group_id}/events/latest/")
    listed = _get(base_url, world, f"issues/{group_id}/events/?full=true")
    assert [e["eventID"] for e in listed] == [event_id]
    for body in (by_project, latest, listed[0], resolved["event"]):
        assert {k: v for k, v in body.items() if not k.endswith("EventID")} == {
            k: v for k, v in by_issue.items() if not k.endswith("EventID")
        }
    return by_issue


def test_a_python_sdk_event_comes_back_with_everything_it_sent(base_url: str, world: World) -> None:
    dsn, _ = project_dsn(base_url, world)
    with sdk(dsn, release="shop@1.4.0", environment="staging", server_name="web-7"):
        sentry_sdk.set_user({"id": "42", "email": "ada@example.com", "username": "ada"})
        sentry_sdk.set_tag("customer", "acme")
        sentry_sdk.set_context("order", {"id": 12345, "total": 99.5})
        sentry_sdk.add_breadcrumb(category="db", message="SELECT * FROM carts", level="info")
        with sentry_sdk.new_scope() as scope:
            request = {
                "url": "https://shop.example.com/cart",
                "method": "POST",
                "headers": {"Accept": "text/html"},
            }
            scope.add_event_processor(lambda event, hint: {**event, "request": request})
            try:
                cart: dict[str, int] = {}
                cart["sku"] += 1
            except KeyError:
                event_id = sentry_sdk.capture_exception()
    assert event_id
    body = _read_everywhere(base_url, world, event_id)
    assert body["user"]["email"] == "ada@example.com" and body["user"]["id"] == "42"
    assert body["contexts"]["order"] == {"type": "order", "id": 12345, "total": 99.5}
    release = body["release"]  # the release the event created, as the releases table keeps it
    assert (release["version"], release["versionInfo"]["package"]) == ("shop@1.4.0", "shop")
    assert release["id"] and release["firstEvent"] and release["dateCreated"]
    assert body["sdk"]["name"] == "sentry.python"
    tags = {t["key"]: t["value"] for t in body["tags"]}
    assert tags["customer"] == "acme" and tags["environment"] == "staging" and tags["server_name"] == "web-7"
    assert tags["user"] == "id:42" and tags["level"] == "error"
    assert tags["url"] == "https://shop.example.com/cart"
    entries = {e["type"]: e["data"] for e in body["entries"]}
    [exception] = entries["exception"]["values"]
    assert exception["type"] == "KeyError" and exception["mechanism"]["type"] == "generic"
    frame = exception["stacktrace"]["frames"][-1]
    assert frame["function"] == "test_a_python_sdk_event_comes_back_with_everything_it_sent"
    assert frame["vars"]["cart"] == {} and frame["context"] and frame["inApp"] is True
    assert any(c["message"] == "SELECT * FROM carts" for c in entries["breadcrumbs"]["values"])
    assert entries["request"]["url"] == "https://shop.example.com/cart"
    assert entries["request"]["headers"] == [["Accept", "text/html"]]


def test_a_node_sdk_event_comes_back_with_everything_it_sent(
    base_url: str, world: World, sentry_node: Path
) -> None:
    dsn, _ = project_dsn(base_url, world)
    sent = subprocess.run(
        ["node", str(SCRIPT), dsn],
        env={**os.environ, "NODE_PATH": str(sentry_node)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    event_id = sent.stdout.strip().splitlines()[-1].replace("-", "")
    events_processed()
    body = _read_everywhere(base_url, world, event_id)
    assert body["user"]["email"] == "grace@example.com" and body["user"]["username"] == "grace"
    assert body["contexts"]["order"] == {"type": "order", "id": 12345, "total": 99.5}
    assert body["release"]["version"] == "shop-node@2.0.0"
    assert body["sdk"]["name"] == "sentry.javascript.node"
    assert body["platform"] == "node"
    tags = {t["key"]: t["value"] for t in body["tags"]}
    assert (
        tags["customer"] == "acme" and tags["server_name"] == "node-1" and tags["environment"] == "production"
    )
    assert tags["runtime.name"] == "node" and tags["handled"] == "yes"
    entries = {e["type"]: e["data"] for e in body["entries"]}
    [exception] = entries["exception"]["values"]
    assert exception["type"] == "TypeError"
    assert any(f["function"] == "checkout" for f in exception["stacktrace"]["frames"])
    assert any(c["message"] == "SELECT * FROM carts" for c in entries["breadcrumbs"]["values"])
    assert entries["request"]["method"] == "POST"
    assert entries["request"]["url"].startswith("https://shop.example.com/checkout")
