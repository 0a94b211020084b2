"""Files sent with an event (envelope ``attachment`` items): kept on S3 beside the event, listed
from one small index item per event.

At the edge, before the event is queued, each attachment's bytes are written to the events bucket
under ``attachments/<project>/<event_id>/<n>-<sha1>`` and the event's index item (issues table, its
partition ``ATTACHMENTS#<project>#<event_id>``) is created with a condition that it does not exist:
an event sent again (the SDK retries after a 429 or a lost answer) rewrites the same keys with the
same bytes and leaves the first index alone, so nothing is listed twice (other bytes under the same
event id go to other keys, which nothing lists). The index item expires with
the event's retention (TTL), the bytes with the bucket's lifecycle rule.

Limits follow Relay's two (one attachment, all attachments of an envelope), refused with Relay's
413 body before anything is stored; ours are smaller than Relay's 100 MiB because a Lambda answers
at most 6 MB, so the largest attachment must still fit in a download (base64 adds a third).

An attachment's id is derived from its project, event and position (48 bits of a SHA-1), so the
same attachment sent twice has the same id without any counter."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from shared.config import settings
from shared.errors import ApiError
from shared.ingest.envelope import EnvelopeItem
from shared.storage.attachments import EventAttachments, StoredAttachment
from shared.storage.base import batch_get, condition_failed
from shared.storage.objects import s3

MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024
MAX_ATTACHMENTS_BYTES = 16 * 1024 * 1024
DEFAULT_TYPE = "event.attachment"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
UNNAMED = "Unnamed Attachment"
MAX_NAME_LENGTH = 256
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MIME_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+(\s*;[^;]+)*$")


class AttachmentsTooLarge(ApiError):
    """Relay's answer to an envelope over a size limit (``BadStoreRequest::Overflow``)."""

    status_code = 413
    default_detail = "envelope exceeded size limits for type 'attachment' (https://develop.sentry.dev/sdk/envelopes/#size-limits)"


@dataclass(frozen=True)
class Attachment:
    """An attachment read from the index, with what locates it."""

    project_id: int
    event_id: str
    date_created: datetime
    id: str
    index: int
    name: str
    type: str
    content_type: str
    size: int
    sha1: str


def object_key(project_id: int, event_id: str, index: int, sha1: str) -> str:
    """Named by content too: a resend with other bytes under the same event id writes other keys,
    so the index written first always names the bytes it describes."""
    return f"attachments/{project_id}/{event_id}/{index}-{sha1}"


def attachment_id(project_id: int, event_id: str, index: int) -> str:
    digest = hashlib.sha1(f"{project_id}:{event_id}:{index}".encode(), usedforsecurity=False).digest()
    return str(int.from_bytes(digest[:6], "big"))


def check_limits(items: list[EnvelopeItem]) -> None:
    """Relay's per-attachment and per-envelope limits; 413 before anything is stored."""
    if any(len(item.payload) > MAX_ATTACHMENT_BYTES for item in items):
        raise AttachmentsTooLarge()
    if sum(len(item.payload) for item in items) > MAX_ATTACHMENTS_BYTES:
        raise AttachmentsTooLarge()


def _text(value: Any, default: str) -> str:
    """A header's text, without control characters (it may become a response header's value)."""
    text = _CONTROL.sub("", value)[:MAX_NAME_LENGTH] if isinstance(value, str) else ""
    return text if text.strip() else default


def _content_type(value: Any) -> str:
    """The item's ``content_type`` when it is a MIME type (it is served back as ``Content-Type``)."""
    text = _text(value, DEFAULT_CONTENT_TYPE)
    return text if _MIME_TYPE.match(text) else DEFAULT_CONTENT_TYPE


def store_attachments(project_id: int, event_id: str, items: list[EnvelopeItem], received: datetime) -> None:
    """Write the bytes, then the index once (a resent event keeps its first index)."""
    bucket = settings().events_bucket
    files = []
    for index, item in enumerate(items):
        content_type = _content_type(item.headers.get("content_type"))
        sha1 = hashlib.sha1(item.payload, usedforsecurity=False).hexdigest()
        s3().put_object(
            Bucket=bucket,
            Key=object_key(project_id, event_id, index, sha1),
            Body=item.payload,
            ContentType=content_type,
        )
        files.append(
            StoredAttachment(
                id=attachment_id(project_id, event_id, index),
                index=index,
                name=_text(item.headers.get("filename"), UNNAMED),
                type=_text(item.headers.get("attachment_type"), DEFAULT_TYPE),
                content_type=content_type,
                size=len(item.payload),
                sha1=sha1,
            )
        )
    pk, sk = EventAttachments.key(project_id, event_id)
    row: EventAttachments = EventAttachments(
        pk,
        sk,
        project_id=project_id,
        event_id=event_id,
        date_created=received,
        files=files,
        expires_at=received + timedelta(days=settings().event_retention_days),
    )
    try:
        row.save(condition=EventAttachments.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise


def _attachments(row: EventAttachments) -> list[Attachment]:
    return [
        Attachment(
            project_id=row.project_id,
            event_id=row.event_id,
            date_created=row.date_created,
            id=f.id,
            index=f.index,
            name=f.name,
            type=f.type,
            content_type=f.content_type,
            size=f.size,
            sha1=f.sha1,
        )
        for f in row.files
    ]


def event_attachments(project_id: int, event_id: str) -> list[Attachment]:
    """An event's attachments (one GetItem)."""
    found = batch_get(EventAttachments, [EventAttachments.key(project_id, event_id)])
    return _attachments(found[0]) if found else []


def attachments_of_events(project_id: int, event_ids: list[str]) -> list[Attachment]:
    """The attachments of many events of a project, 100 events per BatchGetItem, in the order of
    ``event_ids`` (the caller's order, newest first)."""
    rows = batch_get(
        EventAttachments, [EventAttachments.key(project_id, e) for e in dict.fromkeys(event_ids)]
    )
    by_event = {row.event_id: row for row in rows}
    return [
        a
        for event_id in dict.fromkeys(event_ids)
        if event_id in by_event
        for a in _attachments(by_event[event_id])
    ]


def attachment_bytes(attachment: Attachment) -> bytes:
    """The attachment's bytes (one GetObject)."""
    answer = s3().get_object(
        Bucket=settings().events_bucket,
        Key=object_key(attachment.project_id, attachment.event_id, attachment.index, attachment.sha1),
    )
    return answer["Body"].read()
