"""The latest event of a group: what the issue page shows as its stack trace.

Events themselves are not stored; each group keeps its newest one as a single ``GroupLatestEvent``
item in its own partition (read with one GetItem, deleted with the group, moved by a merge). The
item is a zlib-compressed JSON document, bounded whatever the SDK sends: chained exceptions and
frames are trimmed like Relay trims them (the outermost and innermost frames stay), and when the
compressed document is still above ``MAX_BODY_BYTES`` the source context goes, then all but the
innermost frames of the main exception. The last form is at most ~60 KB before compression (20
frames of bounded symbols, the bounded message and tags), so the item always stays far below
DynamoDB's 400 KB limit.

A newer event replaces the item with a conditional put (absent, or older ``timestamp``), so
concurrent writers and out-of-order deliveries always leave the newest event. Ingestion puts it at
most once a second per grouping hash (``shared.ingest.pipeline``): a storm's later batches of a
second would rewrite several KB for an event a few milliseconds newer."""

from __future__ import annotations

import json
import zlib
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from shared.ingest.event import Event, ExceptionInfo, Frame
from shared.storage.base import condition_failed
from shared.storage.group_state import GroupLatestEvent

# The chained exceptions kept (the last ones: the main exception is the last).
MAX_EXCEPTIONS = 5
# Frames kept per exception: half from each end, as Relay trims a stack trace.
MAX_FRAMES = 50
# The last resort keeps only this many innermost frames of the main exception, without source.
MIN_FRAMES = 20
MAX_BODY_BYTES = 64 * 1024
# Relay's limit for a message.
MESSAGE_LENGTH = 8192


def _frame(frame: Frame, with_context: bool, with_source_line: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "filename": frame.filename,
        "abs_path": frame.abs_path,
        "module": frame.module,
        "function": frame.function,
        "lineno": frame.lineno,
        "colno": frame.colno,
        "in_app": frame.in_app,
    }
    if with_source_line:
        data["context_line"] = frame.context_line
    if with_context:
        data["pre_context"] = list(frame.pre_context)
        data["post_context"] = list(frame.post_context)
    return data


def _trimmed(frames: tuple[Frame, ...], limit: int) -> tuple[list[Frame], list[int] | None]:
    """At most ``limit`` frames (oldest first) and Sentry's ``frames_omitted`` range, if any."""
    if len(frames) <= limit:
        return list(frames), None
    head = limit // 2
    tail = limit - head
    return [*frames[:head], *frames[-tail:]], [head, len(frames) - tail]


def _exception(exception: ExceptionInfo, frame_limit: int, context: bool, source: bool) -> dict[str, Any]:
    frames, omitted = _trimmed(exception.frames, frame_limit)
    return {
        "type": exception.type,
        "value": exception.value,
        "module": exception.module,
        "frames": [_frame(f, context, source) for f in frames],
        "frames_omitted": omitted,
    }


def _document(event: Event, exceptions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "timestamp": event.timestamp.isoformat(),
        "level": event.level,
        "platform": event.platform,
        "environment": event.environment,
        "release": event.release,
        "message": event.message[:MESSAGE_LENGTH] if event.message else event.message,
        "title": event.title,
        "culprit": event.culprit,
        "metadata": event.metadata,
        "type": event.type,
        "tags": [list(tag) for tag in event.tags],
        "exceptions": exceptions,
    }


def _forms(event: Event) -> list[list[dict[str, Any]]]:
    """The exception entries from fullest to smallest; the first that fits is stored."""
    chained = list(event.exceptions[-MAX_EXCEPTIONS:])
    main = chained[-1:]
    return [
        [_exception(e, MAX_FRAMES, context=True, source=True) for e in chained],
        [_exception(e, MAX_FRAMES, context=False, source=True) for e in chained],
        [_exception(e, MAX_FRAMES, context=False, source=False) for e in chained],
        [_innermost(e) for e in main],
    ]


def _innermost(exception: ExceptionInfo) -> dict[str, Any]:
    frames = exception.frames[-MIN_FRAMES:]
    entry = _exception(
        ExceptionInfo(exception.type, exception.value, frames, exception.module), MIN_FRAMES, False, False
    )
    omitted = len(exception.frames) - len(frames)
    entry["frames_omitted"] = [0, omitted] if omitted else None
    return entry


def compress_event(event: Event) -> bytes:
    """The stored body of ``event``: its fullest form whose compressed size fits ``MAX_BODY_BYTES``."""
    body = b""
    for exceptions in _forms(event):
        body = zlib.compress(json.dumps(_document(event, exceptions), separators=(",", ":")).encode())
        if len(body) <= MAX_BODY_BYTES:
            break
    return body


def record_latest_event(group_id: int, event: Event) -> None:
    """Keep ``event`` as the group's latest event unless the group already has a newer one.

    One conditional PutItem; a lost race (a newer event stored meanwhile) is the expected outcome."""
    _put_if_newer(latest_event_row(group_id, event))


def latest_event_row(group_id: int, event: Event) -> GroupLatestEvent:
    """The item that keeps ``event`` as the group's latest event (a new group writes it with its
    first event, in the creating transaction)."""
    return GroupLatestEvent(
        *GroupLatestEvent.key(group_id),
        event_id=event.event_id,
        timestamp=event.timestamp,
        body=compress_event(event),
    )


def _put_if_newer(row: GroupLatestEvent) -> None:
    try:
        row.save(
            condition=GroupLatestEvent.pk.does_not_exist() | (GroupLatestEvent.timestamp < row.timestamp)
        )
    except PutError as error:
        if not condition_failed(error):
            raise


def latest_event(group_id: int) -> dict[str, Any] | None:
    """The group's latest event document (see ``_document``), or None when it has none stored."""
    try:
        row = GroupLatestEvent.get(*GroupLatestEvent.key(group_id), consistent_read=True)
    except DoesNotExist:
        return None
    return json.loads(zlib.decompress(row.body))


def move_latest_event(child_id: int, parent_id: int) -> None:
    """A merge: the child's latest event becomes the parent's when it is newer. The child's own row
    goes with the child's deletion; running this twice writes the same row."""
    try:
        row = GroupLatestEvent.get(*GroupLatestEvent.key(child_id), consistent_read=True)
    except DoesNotExist:
        return
    row.pk = GroupLatestEvent.key(parent_id)[0]
    _put_if_newer(row)
