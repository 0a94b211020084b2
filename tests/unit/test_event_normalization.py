"""The processor's event: Relay's store normalization (``shared.events.normalization``) and the
fields read from it the way Sentry reads them (title, culprit, metadata, level, release, user,
time), and message grouping with Sentry's parameterization."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.errors import BadRequest, ValidationFailed
from shared.events.normalization import MAX_DEPTH
from shared.ingest.event import check_event, normalize_event
from shared.ingest.grouping import event_hash

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc"

# What @sentry/node 11.12 sends for ``captureMessage`` with ``attachStacktrace`` (trimmed frames).
NODE_MESSAGE_WITH_STACK = {
    "level": "info",
    "message": "Order 12345 failed",
    "platform": "node",
    "exception": {
        "values": [
            {
                "value": "Order 12345 failed",
                "stacktrace": {
                    "frames": [
                        {"filename": "node:events", "module": "node:events", "function": "Server.emit"},
                        {"filename": "/srv/app.js", "module": "app", "function": "Server.?", "in_app": True},
                    ]
                },
                "mechanism": {"type": "generic", "handled": True, "synthetic": True},
            }
        ]
    },
}


def test_logentry_is_formatted_from_its_params_and_groups_by_its_template() -> None:
    event = normalize_event({"logentry": {"message": "second %s", "params": ["argument"]}}, NOW, 1)
    assert (event.title, event.message) == ("second argument", "second argument")
    assert event.data["logentry"] == {
        "message": "second %s",
        "formatted": "second argument",
        "params": ["argument"],
    }
    other = normalize_event({"logentry": {"message": "second %s", "params": ["other"]}}, NOW, 1)
    assert event_hash(other) == event_hash(event)
    # a bare message string becomes logentry, as Relay moves it
    assert normalize_event({"message": "plain"}, NOW).data["logentry"] == {"formatted": "plain"}


def test_messages_differing_in_values_group_together() -> None:
    def message_hash(text: str) -> str:
        return event_hash(normalize_event({"message": text}, NOW))

    assert message_hash("Order 12345 failed") == message_hash("Order 67890 failed")
    assert message_hash("Timeout after 30s talking to 10.0.0.1") == message_hash(
        "Timeout after 2.5s talking to 192.168.1.20"
    )
    assert message_hash("user 7c1811ed-e98f-4c9c-a9f9-58c757ff494f gone") == message_hash(
        "user bea691f2-2e25-4bec-6838-e0c44b03d60a gone"
    )
    assert message_hash("Order 12345 failed") != message_hash("Order 12345 shipped")
    # an exception without frames contributes its value, parameterized too
    first = normalize_event({"exception": {"values": [{"type": "E", "value": "id 1 missing"}]}}, NOW)
    second = normalize_event({"exception": {"values": [{"type": "E", "value": "id 2 missing"}]}}, NOW)
    assert event_hash(first) == event_hash(second)


def test_the_normalized_event_keeps_what_the_sdk_sent() -> None:
    payload = {
        "event_id": EVENT_ID,
        "release": "shop@1.2.3",
        "dist": "42",
        "environment": "production",
        "server_name": "web-1",
        "user": {"id": "7", "email": "ada@example.com"},
        "contexts": {"os": {"name": "Linux"}, "runtime": {"name": "CPython", "version": "3.13.1"}},
        "breadcrumbs": {
            "values": [{"category": "http", "message": "GET /cart", "timestamp": NOW.timestamp()}]
        },
        "request": {"url": "https://shop.example.com/cart?id=3", "method": "POST"},
        "sdk": {"name": "sentry.python", "version": "2.76.0"},
        "extra": {"cart": {"items": 3}},
        "tags": {"region": "eu"},
        "exception": {
            "values": [
                {"type": "KeyError", "value": "'a'", "mechanism": {"type": "generic", "handled": False}}
            ]
        },
    }
    data = normalize_event(payload, NOW, 5).data
    assert data["user"] == {"id": "7", "email": "ada@example.com", "sentry_user": "id:7"}
    assert data["contexts"]["os"]["name"] == "Linux" and data["contexts"]["runtime"]["version"] == "3.13.1"
    assert data["breadcrumbs"]["values"][0]["message"] == "GET /cart"
    assert data["request"]["url"] == "https://shop.example.com/cart"
    assert data["request"]["query_string"] == [["id", "3"]] and data["request"]["method"] == "POST"
    assert data["sdk"] == {"name": "sentry.python", "version": "2.76.0"}
    assert data["extra"] == {"cart": {"items": 3}}
    assert data["tags"] == [["region", "eu"], ["server_name", "web-1"]]  # Relay makes server_name a tag
    assert data["exception"]["values"][0]["mechanism"] == {"type": "generic", "handled": False}
    assert (data["release"], data["dist"], data["environment"]) == ("shop@1.2.3", "42", "production")
    assert (data["event_id"], data["project"], data["type"]) == (EVENT_ID, 5, "error")
    assert data["received"] == NOW.timestamp()


def test_relay_drops_what_sentry_drops_and_says_so() -> None:
    event = normalize_event({"message": "m", "release": "bad\nrelease", "level": "loud", "surprise": 1}, NOW)
    assert (event.release, event.level) == (None, "error")
    assert {(e["type"], e["name"]) for e in event.data["errors"]} == {
        ("invalid_data", "release"),
        ("invalid_data", "level"),
        ("invalid_attribute", "surprise"),
    }
    assert event.data["_meta"]["release"][""]["val"] == "bad\nrelease"


def test_times_from_the_future_or_too_old_take_the_time_received() -> None:
    ahead = NOW + timedelta(hours=1)
    event = normalize_event({"timestamp": ahead.timestamp()}, NOW)
    assert (event.timestamp, event.claimed_timestamp) == (NOW, ahead)
    old = NOW - timedelta(days=31)
    assert normalize_event({"timestamp": old.isoformat()}, NOW).timestamp == NOW
    recent = NOW - timedelta(days=2)
    assert normalize_event({"timestamp": recent.isoformat()}, NOW).timestamp == recent


def test_the_user_is_sentrys_user_tag() -> None:
    def user_hash(user: dict) -> str | None:
        return normalize_event({"user": user}, NOW).user_hash

    assert user_hash({"id": "7", "email": "a@example.com"}) == user_hash({"id": "7"})
    assert user_hash({"email": "a@example.com"}) != user_hash({"id": "a@example.com"})
    assert user_hash({"ip_address": "{{auto}}"}) is None
    assert user_hash({}) is None


def test_a_synthetic_exception_is_titled_by_its_crash_frame() -> None:
    """@sentry/node's captureMessage with a stack trace: Sentry titles it by the crash frame's
    function, records no exception type and no culprit."""
    event = normalize_event(NODE_MESSAGE_WITH_STACK, NOW)
    assert (event.type, event.title, event.culprit) == ("error", "Server.?", None)
    assert event.metadata == {
        "value": "Order 12345 failed",
        "filename": "/srv/app.js",
        "function": "Server.?",
    }
    # an anonymous function (the JS stack parser's "?") is no name: Relay drops it, Sentry says so
    anonymous = {**NODE_MESSAGE_WITH_STACK["exception"]["values"][0]}
    anonymous["stacktrace"] = {"frames": [{"filename": "/srv/app.js", "function": "?", "in_app": True}]}
    assert normalize_event({"exception": {"values": [anonymous]}}, NOW).title == "<unknown>"
    # an exception that names no type but is not synthetic is an ``Error``
    typeless = normalize_event({"exception": {"values": [{"value": "boom"}]}}, NOW)
    assert (typeless.title, typeless.metadata["type"]) == ("Error: boom", "Error")


def test_the_culprit_falls_back_to_the_request_url() -> None:
    event = normalize_event({"message": "m", "request": {"url": "https://shop.example.com/pay"}}, NOW)
    assert event.culprit == "https://shop.example.com/pay"
    assert normalize_event({"message": "m", "transaction": "/pay"}, NOW).culprit == "/pay"


def test_relay_trims_long_stacks() -> None:
    frames = [{"function": f"f{i}", "module": "m", "in_app": True} for i in range(420)]
    event = normalize_event(
        {"exception": {"values": [{"type": "E", "value": "v", "stacktrace": {"frames": frames}}]}}, NOW
    )
    kept = event.exceptions[0].frames
    assert len(kept) == 250 and (kept[0].function, kept[-1].function) == ("f0", "f419")


def test_the_edge_check_refuses_only_what_cannot_be_an_event() -> None:
    assert check_event({"event_id": EVENT_ID.upper()}) == EVENT_ID
    assert len(check_event({})) == 32
    with pytest.raises(BadRequest):
        check_event([1])
    with pytest.raises(ValidationFailed):
        check_event({"event_id": "nope"})
    # as deep as Relay reads is normalized; one level more is refused at the edge
    chain: list | dict = {}
    for level in range(MAX_DEPTH - 3):  # objects and arrays in turn, under the event's ``extra``
        chain = {"a": chain} if level % 2 else [chain]
    deepest = {"message": "m", "extra": {"x": chain}}
    assert normalize_event(deepest, NOW).data["extra"]["x"]
    with pytest.raises(BadRequest, match="nested more than 127 levels"):
        check_event({"extra": deepest})
    # the processor keeps the edge's id
    assert normalize_event({"event_id": EVENT_ID}, NOW).data["event_id"] == EVENT_ID
