"""A counting transaction refused by its groups: the refused groups are read and the transaction
written again with what they hold. One rule for a hash counted on its own and for a shard's shared
transactions, so both meet a moved hour, a newer event or a group on its way out alike.

A group refuses when a condition of its write no longer holds: it is gone or leaving (deleted,
being merged), it has seen a newer event than the one that would rename it, or its current hour is
not the one assumed (a new hour, or ``flush_current_hour`` cleared it). Nothing of a refused
transaction is written, its ledger entries neither, so writing it again counts nothing twice."""

from __future__ import annotations

from dataclasses import dataclass

from shared.errors import Conflict
from shared.ingest.counting.outcome import LIVE_STATUSES, MAX_ATTEMPTS, ProjectRef, read_group
from shared.ingest.counting.writes import Counting, NotCounted, group_write, write_counted
from shared.ingest.event import Event
from shared.ingest.ledger import Target
from shared.issues.enums import GroupStatus
from shared.issues.events.counts import CurrentHour
from shared.storage.group_state import CountedEvents, hour_bucket
from shared.storage.issues import Group


@dataclass(eq=False)  # one identity per group of a transaction
class GroupCounting:
    """Events (in time order) to count on one group, and what is known of the group from its last
    read or write: whether the newest event may rename the issue, the group's current hour (None:
    not read; the events' newest hour is assumed), and, once it refused for good, that it is no
    longer ``live`` (``merged_into``: the group it is being merged into, if any)."""

    group_id: int
    events: list[Event]
    renaming: bool = True
    known: CurrentHour | None = None
    live: bool = True
    merged_into: int | None = None

    def counting(self) -> Counting:
        return Counting(
            Group(*Group.key(self.group_id)),
            Target(group_id=self.group_id),
            self.events,
            group_write(self.group_id, self.renaming, self.known),
        )


def count_on_groups(
    project: ProjectRef, shard: int, groups: list[GroupCounting], written: list[CountedEvents] | None = None
) -> list[list[Event]]:
    """Count each live group's events in one transaction of ledger ``shard``; after a refusal the
    refused groups are read (``read_refused``) and the live ones written again, up to
    ``MAX_ATTEMPTS`` refusals in a row. Returns per group the events counted (the others of a
    live group were counted by an earlier delivery; nothing of a group found gone or leaving,
    which is set not ``live``) and keeps each group's ``known`` hour. ``Conflict`` when refused
    once more. The ledger entries committed are added to ``written``."""
    refusals = 0
    while writing := [group for group in groups if group.live]:
        try:
            done = write_counted(project, shard, [group.counting() for group in writing], written)
        except NotCounted as refused:
            refusals += 1
            if refusals > MAX_ATTEMPTS:
                raise Conflict("The event's issue is changing too fast; retry the event") from None
            read_refused([writing[index] for index in refused.indexes], writing)
            continue
        counted: dict[GroupCounting, list[Event]] = {}
        for group, (events, write) in zip(writing, done, strict=True):
            counted[group] = events
            if write is not None and write.hour is not None:
                group.known = CurrentHour(write.hour)
        return [counted.get(group, []) for group in groups]
    return [[] for _ in groups]


def read_refused(refused: list[GroupCounting], writing: list[GroupCounting]) -> None:
    """Read the refused groups: a live one is written next with its current hour, renaming only if
    it has seen no newer event; one gone or leaving is set not ``live``. A group that holds another
    hour than its events' newest has moved to a new hour, and so have the other groups of the
    transaction not read yet: an engine may report the first refusal only, so they are read now
    rather than refused one by one."""
    to_read = list(refused)
    while to_read:
        group = to_read.pop()
        current = read_group(group.group_id)
        if current is None or current.status not in LIVE_STATUSES:
            group.live = False
            merging = current is not None and current.status == GroupStatus.PENDING_MERGE
            if merging and current.merged_into:
                group.merged_into = current.merged_into
            continue
        newest = group.events[-1]
        group.known = CurrentHour.of(current)
        group.renaming = group.renaming and current.last_seen <= newest.timestamp
        if current.current_hour != hour_bucket(newest.timestamp):
            to_read += [other for other in writing if other.known is None and other not in to_read]
