"""The counting transaction: events added to their rows (a group or a tombstone) with their hours and
their ledger entries, in one TransactWriteItems, at most the engine's item limit at a time."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from shared.ingest import ledger
from shared.ingest.counting.outcome import (
    LIVE_STATUSES,
    ProjectRef,
)
from shared.ingest.event import Event
from shared.ingest.ledger import Target, second_of
from shared.issues.events.counts import CurrentHour, hour_writes
from shared.issues.transaction import transaction
from shared.storage.base import cancelled_by_condition
from shared.storage.dynamodb import max_transaction_items
from shared.storage.group_state import CountedEvents, hour_bucket
from shared.storage.issues import Group, IssueItem


class NotCounted(Exception):
    """Some counted rows' own conditions refused the write (``indexes``: which countings)."""

    def __init__(self, indexes: list[int]) -> None:
        super().__init__(indexes)
        self.indexes = indexes


@dataclass(frozen=True)
class RowWrite:
    """What a counting transaction does to its counted row (``actions`` on ``condition``) and to
    the rows beside it (``others``: a group's hour rows); ``hour`` is the group's current hour once
    it is written (``HourWrites.hour``)."""

    actions: list[Action]
    condition: Condition
    others: Sequence[tuple[IssueItem, list[Action]]] = ()
    hour: str | None = None


@dataclass(frozen=True)
class Counting:
    """Events to count on one row (a group or a tombstone) and how (``write_of`` the events)."""

    row: IssueItem
    target: Target
    events: list[Event]
    write_of: Callable[[list[Event]], RowWrite]


def group_write(
    group_id: int, renaming: bool, known: CurrentHour | None
) -> Callable[[list[Event]], RowWrite]:
    """How events are counted on a live group: ``times_seen``, their hours (``hour_writes``) and,
    ``renaming``, ``last_seen`` and the names of the newest event (on condition that the group has
    seen none newer)."""
    live = Group.pk.exists() & Group.status.is_in(*map(int, LIVE_STATUSES))

    def write_of(batch: list[Event]) -> RowWrite:
        hours = Counter(hour_bucket(event.timestamp) for event in batch)
        plan = hour_writes(group_id, hours, known)
        actions = [Group.times_seen.add(len(batch)), *plan.group_actions]
        condition = live
        if renaming:  # like Sentry, the newest event names the issue
            latest = batch[-1]
            actions += [
                Group.last_seen.set(latest.timestamp),
                Group.title.set(latest.title),
                Group.culprit.set(latest.culprit) if latest.culprit else Group.culprit.remove(),
                Group.level.set(latest.level),
            ]
            condition = condition & (Group.last_seen <= latest.timestamp)
        if plan.group_condition is not None:
            condition = condition & plan.group_condition
        return RowWrite(actions, condition, plan.rows, plan.hour)

    return write_of


def write_counted(
    project: ProjectRef, shard: int, countings: list[Counting], committed: list[CountedEvents] | None = None
) -> list[tuple[list[Event], RowWrite | None]]:
    """One transaction: each counting's write on its row and beside it, and the events' ledger
    entries (one per second for all of them, on condition that they are new); then the ledger's
    compensation of any event another delivery counted meanwhile. Returns per counting the events
    counted and the write that counted them; when an identical entry exists (the same events
    counted at once elsewhere), the ledger is read again and the rest retried; ``NotCounted``
    when rows' conditions failed. The entries committed are added to ``committed`` (their follow-up
    steps are to be marked done once performed)."""
    pending = [list(counting.events) for counting in countings]
    while any(pending):
        counted = [(counting.target, events) for counting, events in zip(countings, pending, strict=True)]
        entries = ledger.entries_for(
            project.id, shard, [(target, events) for target, events in counted if events]
        )
        writes: list[RowWrite | None] = [
            counting.write_of(events) if events else None
            for counting, events in zip(countings, pending, strict=True)
        ]
        positions: dict[int, int] = {}  # index in the cancellation reasons → counting
        position = len(entries)
        try:
            with transaction() as write:
                for entry in entries:
                    write.save(entry, condition=IssueItem.pk.does_not_exist())
                for index, (counting, written) in enumerate(zip(countings, writes, strict=True)):
                    if written is None:
                        continue
                    write.update(counting.row, written.actions, written.condition)
                    positions[position] = index
                    position += 1 + len(written.others)
                    for other, actions in written.others:
                        write.update(other, actions)
        except TransactWriteError as error:
            cancelled = cancelled_by_condition(error)
            if any(cancelled[: len(entries)]):
                everything = [event for events in pending for event in events]
                left = {event.event_id for event in ledger.uncounted(project.id, shard, everything).uncounted}
                pending = [[event for event in events if event.event_id in left] for events in pending]
                continue
            refused = [
                index
                for position, index in positions.items()
                if position < len(cancelled) and cancelled[position]
            ]
            if refused:
                raise NotCounted(refused) from error
            raise
        if committed is not None:
            committed += entries
        ledger.settle(project.id, shard, [event for events in pending for event in events])
        return list(zip(pending, writes, strict=True))
    return [([], None) for _ in countings]


def chunks(events: list[Event]) -> list[list[Event]]:
    """Events (in time order) per transaction: whole seconds, with their ledger entries and their
    hours' count rows beside the counted row, within the engine's item limit."""
    limit = max_transaction_items()
    chunks: list[list[Event]] = []
    current: list[Event] = []
    entries = 0
    hours: set[str] = set()
    for _, same_second in itertools.groupby(events, key=second_of):
        group = list(same_second)
        its_hours = {hour_bucket(event.timestamp) for event in group}
        needed = ledger.entries_in(len(group)) * len(its_hours)
        # + the counted row and the row of the hour a group's count may move out of
        if current and entries + needed + len(hours | its_hours) + 2 > limit:
            chunks.append(current)
            current, entries, hours = [], 0, set()
        current += group
        entries += needed
        hours |= its_hours
    if current:
        chunks.append(current)
    return chunks
