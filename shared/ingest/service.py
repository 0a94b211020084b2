"""An ingestion request end to end: authenticate the DSN key, undo the compression, parse the
envelope (or the legacy store body), normalise every event, then store them.

Everything that can make the request a 4xx happens before the first write, so a refused request
stores nothing. Items other than error and message events (transactions, sessions, client reports,
attachments, …) are accepted and ignored: an SDK must never see its telemetry refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.ingest.dsn import authenticate, public_key_from_request
from shared.ingest.envelope import decode_body, parse_envelope, parse_store_body
from shared.ingest.event import Event, normalize_event
from shared.ingest.pipeline import Outcome, process_event
from shared.metrics import EVENTS_ACCEPTED, EVENTS_DROPPED, EVENTS_PROCESSED, GROUPS_CREATED, count
from shared.storage.accounts import ProjectKey
from shared.storage.base import utcnow

# Envelope items that carry an error or message event; every other item type is ignored.
EVENT_ITEM_TYPES = frozenset({"event"})


def _key_from_request(
    project_id: int, headers: Mapping[str, str], query: Mapping[str, str]
) -> ProjectKey | None:
    """The key named by the request itself (header or query), authenticated; None when it names none."""
    public_key = public_key_from_request(headers, query)
    return authenticate(project_id, public_key) if public_key else None


def ingest_envelope(
    project_id: int, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
) -> tuple[dict[str, Any], list[Outcome]]:
    """Store the envelope's events; returns Relay's answer (``{"id": <event id>}``, or ``{}`` for an
    envelope without one) and what became of each event."""
    key = _key_from_request(project_id, headers, query)
    envelope = parse_envelope(decode_body(body, _header(headers, "content-encoding")))
    if key is None:
        dsn = envelope.headers.get("dsn")
        key = authenticate(project_id, public_key_from_request({}, {}, dsn if isinstance(dsn, str) else None))
    received = utcnow()
    header_id = envelope.headers.get("event_id")
    events: list[Event] = []
    for item in envelope.items:
        if item.type in EVENT_ITEM_TYPES:
            payload = item.json()
            if isinstance(payload, dict) and header_id is not None:
                payload.setdefault("event_id", header_id)
            events.append(normalize_event(payload, received))
    outcomes = _stored(key, events)
    event_id = events[0].event_id if events else header_id
    return ({"id": event_id} if isinstance(event_id, str) else {}), outcomes


def ingest_store(
    project_id: int, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
) -> tuple[dict[str, Any], list[Outcome]]:
    """The legacy ``/store/`` endpoint: one event as the body. A transaction posted here is
    accepted and ignored, like any non-error telemetry."""
    key = authenticate(project_id, public_key_from_request(headers, query))  # no DSN in a store body
    payload = parse_store_body(decode_body(body, _header(headers, "content-encoding")))
    event = normalize_event(payload, utcnow())
    if payload.get("type") == "transaction":
        return {"id": event.event_id}, []
    return {"id": event.event_id}, _stored(key, [event])


def _stored(key: ProjectKey, events: list[Event]) -> list[Outcome]:
    """Store accepted events one by one, counting what became of them for operators."""
    count(EVENTS_ACCEPTED, len(events))
    outcomes = [process_event(key, event) for event in events]
    count(EVENTS_PROCESSED, sum(1 for outcome in outcomes if outcome.group_id is not None))
    count(EVENTS_DROPPED, sum(1 for outcome in outcomes if outcome.group_id is None))
    count(GROUPS_CREATED, sum(1 for outcome in outcomes if outcome.is_new))
    return outcomes


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)
