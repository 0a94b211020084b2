"""An ingestion request at the edge: authenticate the DSN key, undo the compression, parse the
envelope (or the legacy store body), check its event, then queue it for the processor
(``shared.ingest.batch``) and answer with the event id. An envelope carries at most one event
(``shared.ingest.envelope``), so every event is one request against the project's rate.

Everything that can make the request a 4xx happens before the first message is sent, so a refused
request queues nothing. An event's attachments are stored (``shared.events.attachments``) once the
event is admitted and before it is queued. Other items (transactions, sessions, client reports, …)
are accepted and ignored: an SDK must never see its telemetry refused.
When the project is over its rate or SQS refuses the message the answer is 429 with ``Retry-After``,
and the SDK sends the event again later. The edge writes no log or metric line of its own: an
accepted event is one message on the events queue, which SQS's ``NumberOfMessagesSent`` counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from shared.config import settings
from shared.errors import TooManyRequests
from shared.events.attachments import check_limits, store_attachments
from shared.ingest.dsn import authenticate, public_key_from_request
from shared.ingest.encoding import decode_body
from shared.ingest.envelope import MAX_EVENT_BYTES, EnvelopeBody, EnvelopeItem, parse_store_body
from shared.ingest.event import check_event
from shared.ingest.queue import encode_event
from shared.ingest.rate_limit import admit
from shared.queues import send_message
from shared.storage.accounts import ProjectKey
from shared.storage.base import utcnow

logger = Logger(child=True)
QUEUE_BUSY_RETRY_SECONDS = 5


def _key_from_request(
    project_id: int, headers: Mapping[str, str], query: Mapping[str, str]
) -> ProjectKey | None:
    """The key named by the request itself (header or query), authenticated; None when it names none."""
    public_key = public_key_from_request(headers, query)
    return authenticate(project_id, public_key) if public_key else None


def ingest_envelope(
    project_id: int, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """Queue the envelope's event; returns Relay's answer (``{"id": <event id>}``, or ``{}`` for
    an envelope without one). A key in the request is checked before any of the body is decoded;
    an envelope that names its key only in its header has just its first line decoded first."""
    key = _key_from_request(project_id, headers, query)
    reader = EnvelopeBody(body, _header(headers, "content-encoding"))
    if key is None:
        dsn = reader.headers().get("dsn")
        key = authenticate(project_id, public_key_from_request({}, {}, dsn if isinstance(dsn, str) else None))
    envelope = reader.envelope()
    header_id = envelope.headers.get("event_id")
    item = envelope.event
    if item is None:
        return {"id": header_id} if isinstance(header_id, str) else {}
    received = utcnow()
    payload = item.json()
    if isinstance(payload, dict) and header_id is not None:
        payload.setdefault("event_id", header_id)
    event_id = check_event(payload)  # 400 before anything is queued; the processor normalizes
    check_limits(envelope.attachments)
    _queue(key, {**payload, "event_id": event_id}, received, envelope.attachments)
    return {"id": event_id}


def ingest_store(
    project_id: int, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """The legacy ``/store/`` endpoint: one event as the body. A transaction posted here is
    accepted and ignored, like any non-error telemetry."""
    key = authenticate(project_id, public_key_from_request(headers, query))  # no DSN in a store body
    payload = parse_store_body(decode_body(body, _header(headers, "content-encoding"), MAX_EVENT_BYTES))
    received = utcnow()
    event_id = check_event(payload)
    if payload.get("type") != "transaction":
        _queue(key, {**payload, "event_id": event_id}, received)
    return {"id": event_id}


def _queue(
    key: ProjectKey, payload: dict[str, Any], received: Any, attachments: list[EnvelopeItem] | None = None
) -> None:
    """Send the event to the events queue, after the project's rate allows it and its attachments
    are stored (an event is never listed without the files it was sent with)."""
    project_id, org_id = key.project_id, key.org_id
    body = encode_event(project_id, org_id, received, payload)  # 413 first
    admit(project_id)
    try:
        if attachments:
            store_attachments(project_id, str(payload["event_id"]), attachments, received)
        send_message(settings().events_queue_url, body)
    except (ClientError, BotoCoreError) as error:
        logger.warning("events queue or bucket refused an event", exc_info=error)
        raise TooManyRequests(
            "Event submission rejected: the queue is not accepting events", QUEUE_BUSY_RETRY_SECONDS
        ) from error


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)
