"""Counting a batch's events into their group's tag summary, and reading summaries.

Once per group per batch (``after_counting``), never per event: read the summary, add the batch's
events, write it back on condition that nobody wrote it meanwhile (else again, after a short random
pause). A new group's first event writes the first summary in the creating transaction
(``first_tags_row``).

A storming issue, whose events arrive a few per batch across many concurrent batches, would cost
a write per batch for a few events. Once ``BUSY_WRITES`` writes already carried events of the
batch's newest second, its batches are sampled: a batch of ``n`` of its events writes with
probability ``p = min(1, n / EVENTS_PER_WRITE)`` and adds its counts weighted by ``1 / p``
(randomly rounded), so the counts stay unbiased estimates and a write stands for about
``EVENTS_PER_WRITE`` events. An issue written fewer times a second is counted exactly."""

from __future__ import annotations

import random
from collections.abc import Sequence

from shared.errors import Conflict
from shared.ingest.event import Event
from shared.storage.base import batch_get
from shared.storage.group_tags import GroupTags
from shared.storage.versioned import merge_versioned
from shared.tags.derived import event_tags
from shared.tags.summary import TagSummary

BUSY_WRITES = 3
EVENTS_PER_WRITE = 40


def _summary_of(events: Sequence[Event], into: TagSummary | None = None, weight: float = 1.0) -> TagSummary:
    summary = into or TagSummary()
    summary.add_events(((event.timestamp, event_tags(event)) for event in events), weight)
    return summary


def sampling_weight(batch_events: int, busy: bool, draw: float) -> float | None:
    """The weight of a batch's tag counts (1: exact), or None when the batch is not sampled;
    ``busy``: the issue's summary is written ``BUSY_WRITES`` times a second; ``draw`` is uniform
    in [0, 1)."""
    if not busy:
        return 1.0
    chance = min(1.0, batch_events / EVENTS_PER_WRITE)
    return 1.0 / chance if draw < chance else None


def first_tags_row(group_id: int, events: Sequence[Event]) -> GroupTags:
    """The summary row of a new group holding ``events`` (version 1, as ``record_tags`` writes it)."""
    return GroupTags(*GroupTags.key(group_id), summary=_summary_of(events).to_bytes(), version=1)


def record_tags(group_id: int, events: Sequence[Event]) -> None:
    """Add ``events`` (just counted on the group) to its tag summary: one conditional write, or
    none for a storming issue's batch left out of the sample."""
    if not events:
        return
    key = GroupTags.key(group_id)
    newest = int(max(event.timestamp for event in events).timestamp())
    draw = random.random()
    weights: list[float | None] = []  # decided once per batch: a retry must not draw again

    def merged_row(row: GroupTags | None) -> GroupTags | None:
        same_second = row is not None and row.second is not None and row.second == newest
        if not weights:
            busy = same_second and (row.writes or 0) >= BUSY_WRITES if row is not None else False
            weights.append(sampling_weight(len(events), busy, draw))
        weight = weights[0]
        if weight is None:
            return None
        summary = _summary_of(events, TagSummary.from_bytes(row.summary if row else None), weight)
        second, writes = newest, 1
        if row is not None and row.second is not None and row.second >= newest:
            second, writes = row.second, (row.writes or 0) + (1 if same_second else 0)
        updated = GroupTags(*key, summary=summary.to_bytes())
        updated.second, updated.writes = second, writes
        return updated

    merge_versioned(GroupTags, key, merged_row, Conflict("The issue's tags are changing too fast; retry"))


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
