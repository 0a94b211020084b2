"""Counting a batch's events into their group's tag summary, and reading summaries.

Once per group per batch (``after_counting``), never per event: read the summary, add the batch's
events, write it back on condition that nobody wrote it meanwhile (else again, after a short random
pause). The same item holds the group's newest hour of users (``shared.issues.events.counts``), so
one conditional write per group and batch merges both. A new group's first event writes the first
item in the creating transaction (``first_tags_row``).

A storming issue, whose events arrive a few per batch across many concurrent batches, would cost
a write per batch for a few events. Once the summary holds ``BUSY_EVENTS`` events of the batch's
newest second, its batches are sampled: a batch of ``n`` of its events writes with probability
``p = min(1, n / EVENTS_PER_WRITE)`` and adds its counts weighted by ``1 / p`` (randomly rounded),
so the counts stay unbiased estimates and a write stands for about ``EVENTS_PER_WRITE`` events.
An issue with fewer events a second is counted exactly, however its events are batched (a burst
of a few events, each in a batch of its own, is not a storm)."""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence

from shared.errors import Conflict
from shared.ingest.event import Event
from shared.issues.events.counts import current_users_change, merge_users, users_expiry
from shared.issues.events.user_sketch import UserSketch
from shared.storage.base import batch_get
from shared.storage.group_state import hour_bucket
from shared.storage.group_tags import GroupTags
from shared.storage.versioned import merge_versioned
from shared.tags.derived import event_tags
from shared.tags.summary import TagSummary

BUSY_EVENTS = 120
EVENTS_PER_WRITE = 40


def _summary_of(events: Sequence[Event], into: TagSummary | None = None, weight: float = 1.0) -> TagSummary:
    summary = into or TagSummary()
    summary.add_events(((event.timestamp, event_tags(event)) for event in events), weight)
    return summary


def sampling_weight(batch_events: int, busy: bool, draw: float) -> float | None:
    """The weight of a batch's tag counts (1: exact), or None when the batch is not sampled;
    ``busy``: the issue's summary holds ``BUSY_EVENTS`` of the second already; ``draw`` is uniform
    in [0, 1)."""
    if not busy:
        return 1.0
    chance = min(1.0, batch_events / EVENTS_PER_WRITE)
    return 1.0 / chance if draw < chance else None


def first_tags_row(group_id: int, events: Sequence[Event], user_hashes: Collection[str] = ()) -> GroupTags:
    """The summary row of a new group holding ``events`` and their users (their hours must be one;
    version 1, as ``record_tags`` writes it)."""
    row = GroupTags(*GroupTags.key(group_id), summary=_summary_of(events).to_bytes(), version=1)
    if user_hashes:
        row.users_hour = hour_bucket(events[-1].timestamp)
        row.users = UserSketch.of(user_hashes).to_bytes()
    return row


def record_tags(
    group_id: int, events: Sequence[Event], users: Mapping[str, Collection[str]] | None = None
) -> None:
    """Add ``events`` (just counted on the group) to its tag summary and ``users`` (hour → user
    hashes of the events) to its users: one conditional write of the item (none when a storming
    issue's batch is left out of the tags' sample and adds nobody new); the users of an hour older
    than the batch's newest go to their hour's row."""
    sketches = {hour: UserSketch.of(found) for hour, found in (users or {}).items() if found}
    if not events and not sketches:
        return
    newest_hour = max(sketches) if sketches else None
    for hour, sketch in sketches.items():
        if hour != newest_hour:
            merge_users(group_id, hour, sketch, users_expiry(hour))
    key = GroupTags.key(group_id)
    newest = int(max(event.timestamp for event in events).timestamp()) if events else None
    draw = random.random()
    weights: list[float | None] = []  # decided once per batch: a retry must not draw again

    def merged_row(row: GroupTags | None) -> GroupTags | None:
        held = (row.users_hour, row.users) if row is not None else (None, None)
        users_now = held
        if newest_hour is not None:
            users_now = current_users_change(group_id, *held, newest_hour, sketches[newest_hour]) or held
        second, counted = (row.second, row.second_events) if row is not None else (None, None)
        same_second = newest is not None and second is not None and second == newest
        if newest is not None and not weights:
            weights.append(sampling_weight(len(events), same_second and (counted or 0) >= BUSY_EVENTS, draw))
        weight = weights[0] if weights else None
        if weight is None and users_now == held:
            return None
        summary = TagSummary.from_bytes(row.summary if row else None)
        if weight is not None and newest is not None:
            summary = _summary_of(events, summary, weight)
            added = round(len(events) * weight)
            if second is not None and second >= newest:
                counted = (counted or 0) + (added if same_second else 0)
            else:
                second, counted = newest, added
        updated = GroupTags(*key, summary=summary.to_bytes())
        updated.second, updated.second_events = second, counted
        updated.users_hour, updated.users = users_now
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
