"""Counting a batch's events into their group's tag summary, and reading summaries.

Once per group per batch (``after_counting``), never per event: read the summary, add the batch's
events, write it back on condition that nobody wrote it meanwhile (else again, after a short random
pause). A new group's first event writes the first summary in the creating transaction
(``first_tags_row``)."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from pynamodb.exceptions import PutError

from shared.errors import Conflict
from shared.ingest.event import Event
from shared.storage.base import batch_get, condition_failed
from shared.storage.group_tags import GroupTags
from shared.tags.derived import event_tags
from shared.tags.summary import TagSummary

MERGE_ATTEMPTS = 25
MERGE_PAUSE_SECONDS = 0.002


def _summary_of(events: Sequence[Event], into: TagSummary | None = None) -> TagSummary:
    summary = into or TagSummary()
    summary.add_events((event.timestamp, event_tags(event)) for event in events)
    return summary


def first_tags_row(group_id: int, events: Sequence[Event]) -> GroupTags:
    """The summary row of a new group holding ``events`` (version 1, as ``record_tags`` writes it)."""
    return GroupTags(*GroupTags.key(group_id), summary=_summary_of(events).to_bytes(), version=1)


def record_tags(group_id: int, events: Sequence[Event]) -> None:
    """Add ``events`` (just counted on the group) to its tag summary: one conditional write."""
    if not events:
        return
    key = GroupTags.key(group_id)
    for attempt in range(MERGE_ATTEMPTS):
        try:
            row: GroupTags | None = GroupTags.get(*key, consistent_read=True)
        except GroupTags.DoesNotExist:
            row = None
        summary = _summary_of(events, TagSummary.from_bytes(row.summary if row else None))
        version = int(row.version) if row is not None else 0
        condition = GroupTags.version == version if row is not None else GroupTags.pk.does_not_exist()
        try:
            GroupTags(*key, summary=summary.to_bytes(), version=version + 1).save(condition=condition)
            return
        except PutError as error:
            if not condition_failed(error):
                raise
        time.sleep(random.uniform(0, MERGE_PAUSE_SECONDS * (attempt + 1)))
    raise Conflict("The issue's tags are changing too fast; retry")


def group_tags(group_id: int) -> TagSummary:
    try:
        return TagSummary.from_bytes(GroupTags.get(*GroupTags.key(group_id)).summary)
    except GroupTags.DoesNotExist:
        return TagSummary()


def many_group_tags(group_ids: Sequence[int]) -> dict[int, TagSummary]:
    """Summaries of many groups, one BatchGetItem per 100; a group without one gets an empty one."""
    found = {
        int(row.pk.split("#", 1)[1]): TagSummary.from_bytes(row.summary)
        for row in batch_get(GroupTags, [GroupTags.key(group_id) for group_id in group_ids])
    }
    return {group_id: found.get(group_id, TagSummary()) for group_id in group_ids}
