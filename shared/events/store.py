"""Keeping a processed batch's events: after the batch is counted, its events that belong to a
group are written as one object (``shared.events.objects``) and indexed (``shared.events.index``).

Exactly once, as counting is: every delivery of an event keeps it, whether it counted the event
now, finished the follow-up steps of an earlier delivery, or found it counted already (the ledger
names the group it was counted on: ``Outcome.counted_on``). So an event whose delivery died after
counting it, at any request, is kept by the next delivery, which SQS makes since the first never
deleted the message; if keeping fails, the batch's messages fail with it and are delivered again.
An event kept twice is listed and read once (readers keep the first row of an id). Dropped events
(discarded issues) are not kept."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.events.index import Kept, index_items, write_index
from shared.events.objects import new_object_key, put_documents
from shared.ingest.event import Event
from shared.serializers.dates import format_datetime
from shared.storage.base import utcnow
from shared.tags.derived import event_tags

# The user fields the event search filters on (``user.id:`` …), kept beside the payload's user.
SEARCH_USER_FIELDS = (("id", "id"), ("email", "email"), ("username", "username"), ("ip", "ip_address"))


@dataclass(frozen=True)
class Counted:
    """An event of the batch and the group it was counted on."""

    message_id: str
    org_id: int
    project_id: int
    hash: str
    group_id: int
    event: Event
    received: datetime


def document(counted: Counted) -> dict[str, Any]:
    """What the store keeps of an event: the payload as processed and what the pipeline derived
    from it (title, culprit, metadata), which the event endpoints answer with, and, flat at the top,
    its tags (the SDK's and Sentry's derived ones) and user fields, the few narrow columns the event
    search engine reads (``shared.search.engine``)."""
    event = counted.event
    data = dict(event.data)
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    search_user = {
        name: str(user[field]) for name, field in SEARCH_USER_FIELDS if user.get(field) is not None
    }
    return {
        "event_id": event.event_id,
        "project_id": counted.project_id,
        "group_id": counted.group_id,
        "hash": counted.hash,
        "received": format_datetime(counted.received),
        "timestamp": format_datetime(event.timestamp),
        "type": event.type,
        "title": event.title,
        "culprit": event.culprit,
        "metadata": event.metadata,
        "message": event.message,
        "release": event.release,
        "size": len(json.dumps(data, separators=(",", ":")).encode()),
        "tags": event_tags(event),
        "user": search_user,
        "data": data,
    }


def keep_counted(batch: Sequence[Counted]) -> None:
    """Write the events (each id once) as one object, then index them; raises when either fails."""
    unique = list({counted.event.event_id: counted for counted in batch}.values())
    if not unique:
        return
    now = utcnow()
    locations = put_documents(new_object_key(now), [document(counted) for counted in unique])
    kept = [
        Kept(
            c.event.event_id,
            c.org_id,
            c.project_id,
            c.group_id,
            c.hash,
            c.event.timestamp,
            c.event.environment,
            location,
            c.event.release,
        )
        for c, location in zip(unique, locations, strict=True)
    ]
    write_index(index_items(kept, now))
