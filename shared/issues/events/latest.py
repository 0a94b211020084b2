"""The latest event an issue kept before the event store (``shared.events``) kept every event.

Issues counted before the store kept their newest event as one ``GroupLatestEvent`` item in their
own partition: a zlib-compressed JSON document (event id, time, level, platform, environment,
release, message, title, culprit, metadata, type, tags and the trimmed exceptions). Ingestion no
longer writes it: the store's newest event of the issue is its latest. The item stays readable as
the answer to ``events/latest`` of an issue the store holds no event of, moves with a merge and
goes with the group's deletion."""

from __future__ import annotations

import json
import zlib
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from shared.storage.base import condition_failed
from shared.storage.group_state import GroupLatestEvent


def latest_event(group_id: int) -> dict[str, Any] | None:
    """The group's kept latest event document, or None when it has none."""
    try:
        row = GroupLatestEvent.get(*GroupLatestEvent.key(group_id), consistent_read=True)
    except DoesNotExist:
        return None
    return json.loads(zlib.decompress(row.body))


def move_latest_event(child_id: int, parent_id: int) -> None:
    """A merge: the child's kept latest event becomes the parent's unless the parent's is newer (a
    conditional put). The child's own row goes with the child's deletion; running this twice
    writes the same row."""
    try:
        row = GroupLatestEvent.get(*GroupLatestEvent.key(child_id), consistent_read=True)
    except DoesNotExist:
        return
    row.pk = GroupLatestEvent.key(parent_id)[0]
    try:
        row.save(
            condition=GroupLatestEvent.pk.does_not_exist() | (GroupLatestEvent.timestamp < row.timestamp)
        )
    except PutError as error:
        if not condition_failed(error):
            raise
