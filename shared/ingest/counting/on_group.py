"""One hash's events counted on their own: on its group (following merges) a chunk of whole seconds
at a time, or on its tombstone when the hash is discarded."""

from __future__ import annotations

from shared.errors import Conflict
from shared.ingest import ledger
from shared.ingest.counting.aftermath import after_counting
from shared.ingest.counting.outcome import MAX_ATTEMPTS, Outcome, ProjectRef, keep_uncounted
from shared.ingest.counting.refusal import GroupCounting, count_on_groups
from shared.ingest.counting.writes import Counting, NotCounted, RowWrite, chunks, write_counted
from shared.ingest.event import Event
from shared.ingest.ledger import Target
from shared.storage.group_state import CountedEvents, GroupTombstone


def count_discarded(
    project: ProjectRef, hash_value: str, tombstone_id: int, events: list[Event]
) -> list[Event]:
    """``times_discarded`` ADD n on the tombstone, conditional on it existing, so a tombstone
    deleted meanwhile is not recreated as a bare counter; returns the events counted."""
    tombstone = GroupTombstone(*GroupTombstone.key(tombstone_id))
    counted: list[Event] = []
    for chunk in chunks(events):
        counting = Counting(
            tombstone,
            Target(tombstone_id=tombstone_id),
            chunk,
            lambda pending: RowWrite(
                [GroupTombstone.times_discarded.add(len(pending))], GroupTombstone.pk.exists()
            ),
        )
        try:
            [(done, _)] = write_counted(project, ledger.shard_of(hash_value), [counting])
        except NotCounted:
            return counted
        counted += done
    return counted


def count_on_group(
    project: ProjectRef,
    group_id: int,
    events: list[Event],
    hash_value: str,
    outcomes: dict[str, Outcome],
    created: Event | None = None,
) -> bool:
    """Count ``events`` on the group (following merges) a chunk at a time, then its hourly counts,
    releases and transitions. False when the group is gone or being deleted and the events need a
    new group (none of them was counted then)."""
    shard = ledger.shard_of(hash_value)
    counted: list[Event] = []
    written: list[CountedEvents] = []
    # The newest chunk first, renaming the issue unless the group has seen a newer event (an equal
    # time renames it too: a storm's batches share their second); the older chunks only add.
    group = GroupCounting(group_id, [])
    for chunk in chunks(events)[::-1]:
        group.events = chunk
        [done] = count_on_groups(project, shard, [group], written)
        merges = 0
        while not group.live and group.merged_into is not None:  # counted on the merge's parent
            merges += 1
            if merges > MAX_ATTEMPTS:
                raise Conflict("The event's issue is changing too fast; retry the event")
            group = GroupCounting(group.merged_into, chunk)
            [done] = count_on_groups(project, shard, [group], written)
        if not group.live:
            if counted or created is not None:
                raise Conflict("The event's issue went away while counting; retry the event")
            return False
        counted += keep_uncounted(chunk, done, hash_value, outcomes)
        group.renaming = False
    ids = {event.event_id for event in counted}
    counted = [event for event in events if event.event_id in ids]  # back in time order
    after_counting(project, group.group_id, hash_value, counted, outcomes, created)
    ledger.mark_followed(written)
    return True
