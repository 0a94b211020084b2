"""Accepted events on their way from the edge to the processor: one SQS message per event.

A message carries the event's JSON as the SDK sent it (with its ``event_id`` made explicit, so a
redelivered message names the same event), the project and organization it was accepted for, and
when the edge received it (events without a usable timestamp take that time). The processor
re-reads the payload with ``normalize_event``, so the fields ``Event`` gains later are read from
events already queued too.

Payloads above ``COMPRESS_ABOVE_BYTES`` are zlib-compressed and base64-encoded (events are
repetitive JSON: an 8 KB event takes about 2 KB). A message that is still above SQS's 256 KB limit
is refused at the edge with 413, as Relay refuses events above its size limit."""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.errors import ApiError

SQS_MESSAGE_LIMIT = 256 * 1024
COMPRESS_ABOVE_BYTES = 1024


class EventTooLarge(ApiError):
    status_code = 413
    default_detail = "Event too large"


@dataclass(frozen=True)
class QueuedEvent:
    """An event as the processor receives it."""

    project_id: int
    org_id: int
    received: datetime
    payload: dict[str, Any]


def encode_event(project_id: int, org_id: int, received: datetime, payload: dict[str, Any]) -> str:
    """The message body for one accepted event; ``EventTooLarge`` when SQS cannot carry it."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    body: dict[str, Any] = {"project_id": project_id, "org_id": org_id, "received": received.isoformat()}
    if len(raw) > COMPRESS_ABOVE_BYTES:
        body["payload_zlib"] = base64.b64encode(zlib.compress(raw, 6)).decode("ascii")
    else:
        body["payload"] = raw.decode("utf-8")
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode("utf-8")) > SQS_MESSAGE_LIMIT:
        raise EventTooLarge(f"Event too large: {len(raw)} bytes of JSON do not fit in one queued message")
    return text


def decode_event(text: str) -> QueuedEvent:
    """The event of a message body written by ``encode_event`` (ValueError/KeyError when it is not)."""
    body = json.loads(text)
    if "payload_zlib" in body:
        raw = zlib.decompress(base64.b64decode(body["payload_zlib"]))
    else:
        raw = body["payload"].encode("utf-8")
    payload = json.loads(raw)
    if not isinstance(payload, dict):
        raise ValueError("queued payload is not a JSON object")
    return QueuedEvent(
        int(body["project_id"]), int(body["org_id"]), datetime.fromisoformat(body["received"]), payload
    )
