"""One hash's events counted on their own: on its group (following merges) a chunk of whole seconds
at a time, or on its tombstone when the hash is discarded."""

from __future__ import annotations

from shared.errors import Conflict
from shared.ingest import ledger
from shared.ingest.counting.aftermath import after_counting
from shared.ingest.counting.outcome import (
    LIVE_STATUSES,
    MAX_ATTEMPTS,
    Outcome,
    ProjectRef,
    read_group,
)
from shared.ingest.counting.writes import Counting, NotCounted, RowWrite, chunks, group_write, write_counted
from shared.ingest.event import Event
from shared.ingest.ledger import Target
from shared.issues.enums import GroupStatus
from shared.issues.events.counts import CurrentHour
from shared.storage.group_state import GroupTombstone
from shared.storage.issues import Group


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
    check: ledger.PreCheck,
    created: Event | None = None,
) -> bool:
    """Count ``events`` on the group (following merges) a chunk at a time, then its hourly counts,
    releases and transitions. False when the group is gone or being deleted and the events need a
    new group (none of them was counted then)."""
    counted: list[Event] = []
    # The newest chunk first, renaming the issue unless the group has seen a newer event (an equal
    # time renames it too: a storm's batches share their second); the older chunks only add.
    pending = chunks(events)[::-1]
    renaming = True
    known: CurrentHour | None = None  # what the group holds of its current hour, once read
    attempts = 0
    while pending:
        chunk = pending[0]
        newest = chunk[-1]
        counting = Counting(
            Group(*Group.key(group_id)),
            Target(group_id=group_id),
            chunk,
            group_write(group_id, renaming, known),
        )
        try:
            [(done, written)] = write_counted(project, ledger.shard_of(hash_value), [counting])
        except NotCounted:
            # gone, merged, renamed by a newer event, or its hour is not the one assumed: read it
            attempts += 1
            if attempts > MAX_ATTEMPTS:
                raise Conflict("The event's issue is changing too fast; retry the event") from None
            current = read_group(group_id)
            merging = current is not None and int(current.status) == GroupStatus.PENDING_MERGE
            if merging and current.merged_into:
                group_id = int(current.merged_into)
                renaming, known = True, None
                continue
            if current is not None and int(current.status) in LIVE_STATUSES:
                known = CurrentHour.of(current)
                renaming = renaming and current.last_seen <= newest.timestamp
                continue
            if counted or created is not None:
                raise Conflict("The event's issue went away while counting; retry the event") from None
            return False
        for event in chunk:
            if event not in done:
                outcomes[event.event_id] = Outcome(event.event_id, hash_value, None, duplicate=True)
        counted += done
        pending = pending[1:]
        renaming = False
        known = CurrentHour(written.hour) if written is not None and written.hour is not None else known
        attempts = 0
    ids = {event.event_id for event in counted}
    counted = [event for event in events if event.event_id in ids]  # back in time order
    after_counting(project, group_id, hash_value, counted, outcomes, check.fresh_seconds(group_id), created)
    return True
