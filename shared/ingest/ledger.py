"""The ingestion ledger: which events were counted, one item per counted aggregate, so a redelivered
event counts nothing twice without a write per event.

A transaction that counts events of a grouping hash on their group (or tombstone) also puts one
``CountedEvents`` entry per second of the events' own time: partition ``COUNTED#<project>#<hash>#
<second>``, sort key a digest of the entry's ids, ids 16 bytes each, on condition that it is new.
The partition is known from the event alone (its time travels with it, in the SDK's payload or
from the edge's receipt), so every delivery of an event reads the same partition:

- before counting, ``uncounted`` reads (consistent Query) the partitions of the aggregate's seconds
  and drops the ids some entry holds; the same composition counted twice at once collides on the
  sort key instead;
- after counting, ``settle`` reads them again: two deliveries in different compositions that both
  passed the first read have counted an id in two entries. Every entry but the one with the
  smallest sort key then compensates it once: one transaction that adds the entry's duplicate
  count back (``times_seen`` and the hour's count, on the group while the hour is its current
  one, or ``times_discarded``) and records the ids in
  the entry's ``compensated`` set, on condition that the set is as read. Any processor that sees
  the duplicate compensates it (the later of two writers always sees both entries), and the first
  read of a redelivery does the same, so a processor that died between its commit and its
  compensation is made good by the delivery that follows.

The user sketch, the latest event, the index key and the transitions are idempotent and need no
compensation."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.update import Action

from shared.errors import Conflict
from shared.ingest.event import Event
from shared.issues.events.counts import hourly_count_write
from shared.issues.transaction import transaction
from shared.storage.base import cancelled_by_condition, utcnow
from shared.storage.group_state import (
    COUNTED_EVENTS_RETENTION_DAYS,
    CountedEvents,
    GroupHourlyCount,
    GroupTombstone,
    hour_bucket,
)
from shared.storage.issues import Group, IssueItem

RETENTION = timedelta(days=COUNTED_EVENTS_RETENTION_DAYS)
ID_BYTES = 16
# Ids per entry: an entry stays within 16 KB however many events of one second a batch holds.
IDS_PER_ENTRY = 1000
# Each attempt lost a race to a concurrent compensation of the same entry; they are rare and few.
COMPENSATION_ATTEMPTS = 5


def second_of(event: Event) -> datetime:
    """The second an event's ledger partition is keyed by: its own time, whole seconds."""
    return event.timestamp.replace(microsecond=0)


def _id_bytes(event_id: str) -> bytes:
    return bytes.fromhex(event_id)


def _ids_of(entry: CountedEvents) -> set[bytes]:
    raw = bytes(entry.ids or b"")
    return {raw[i : i + ID_BYTES] for i in range(0, len(raw), ID_BYTES)}


@dataclass(frozen=True)
class Target:
    """The row a ledger entry's events were counted on: a group, or a tombstone (dropped events)."""

    group_id: int | None = None
    tombstone_id: int | None = None


def entries_for(
    project_id: int, hash_value: str, events: Iterable[Event], target: Target
) -> list[CountedEvents]:
    """The ledger entries of ``events`` counted on ``target``: per second of their time, one per
    ``IDS_PER_ENTRY`` of its events."""
    by_second: dict[datetime, list[bytes]] = defaultdict(list)
    for event in events:
        by_second[second_of(event)].append(_id_bytes(event.event_id))
    expires = utcnow() + RETENTION
    entries = []
    for second, ids in sorted(by_second.items()):
        unique = sorted(set(ids))
        for start in range(0, len(unique), IDS_PER_ENTRY):
            joined = b"".join(unique[start : start + IDS_PER_ENTRY])
            entries.append(
                CountedEvents(
                    CountedEvents.partition(project_id, hash_value, second),
                    hashlib.blake2b(joined, digest_size=12).hexdigest(),
                    ids=joined,
                    group_id=target.group_id,
                    tombstone_id=target.tombstone_id,
                    expires_at=expires,
                )
            )
    return entries


def entries_in(events: int) -> int:
    """How many ledger entries ``events`` of one second take."""
    return max(1, -(-events // IDS_PER_ENTRY))


def _read(
    project_id: int, hash_value: str, seconds: Iterable[datetime]
) -> dict[datetime, list[CountedEvents]]:
    """The entries of each second's partition (consistent: a commit just made is seen)."""
    return {
        second: list(
            CountedEvents.query(CountedEvents.partition(project_id, hash_value, second), consistent_read=True)
        )
        for second in sorted(set(seconds))
    }


@dataclass(frozen=True)
class PreCheck:
    """What the ledger says of an aggregate before it is counted: the events no entry holds yet,
    and the seconds nobody had counted an event of (their partition was empty)."""

    uncounted: list[Event]
    fresh_seconds: frozenset[datetime]


def uncounted(project_id: int, hash_value: str, events: Sequence[Event]) -> PreCheck:
    """Drop the events the ledger holds, after compensating any of them counted twice (a
    processor that died between its commit and its compensation)."""
    partitions = _read(project_id, hash_value, (second_of(event) for event in events))
    wanted = {_id_bytes(event.event_id) for event in events}
    _compensate_duplicates(partitions, wanted)
    counted = set().union(*(_ids_of(entry) for entries in partitions.values() for entry in entries))
    return PreCheck(
        [event for event in events if _id_bytes(event.event_id) not in counted],
        frozenset(second for second, entries in partitions.items() if not entries),
    )


def settle(project_id: int, hash_value: str, events: Sequence[Event]) -> None:
    """After ``events`` were counted: compensate every id of theirs that another entry holds too."""
    partitions = _read(project_id, hash_value, (second_of(event) for event in events))
    _compensate_duplicates(partitions, {_id_bytes(event.event_id) for event in events})


def _compensate_duplicates(partitions: dict[datetime, list[CountedEvents]], wanted: set[bytes]) -> None:
    """For each id of ``wanted`` held by several entries of a partition, every entry but the one
    with the smallest sort key takes it back once."""
    for second, entries in partitions.items():
        holders: dict[bytes, list[CountedEvents]] = defaultdict(list)
        for entry in sorted(entries, key=lambda e: e.sk):
            for event_id in _ids_of(entry) & wanted:
                holders[event_id].append(entry)
        owed: dict[str, set[bytes]] = defaultdict(set)
        by_sk = {entry.sk: entry for entry in entries}
        for event_id, found in holders.items():
            for entry in found[1:]:
                if event_id not in (entry.compensated or set()):
                    owed[entry.sk].add(event_id)
        for sk, ids in owed.items():
            _compensate(by_sk[sk], ids, second)


def _compensate(entry: CountedEvents, ids: set[bytes], second: datetime) -> None:
    """Take ``ids`` back from what ``entry`` counted, once: the entry's ``compensated`` set grows in
    the same transaction, on condition that it is still the set read."""
    for _ in range(COMPENSATION_ATTEMPTS):
        ids = ids - set(entry.compensated or set())
        if not ids:
            return
        done = len(entry.compensated or ())
        unchanged = CountedEvents.compensated.does_not_exist()
        if done:
            unchanged = size(CountedEvents.compensated) == done
        targets = _targets(entry, len(ids), second)
        while True:
            try:
                with transaction() as write:
                    write.update(entry, actions=[CountedEvents.compensated.add(ids)], condition=unchanged)
                    for row, actions, condition in targets:
                        write.update(row, actions=actions, condition=condition)
                return
            except TransactWriteError as error:
                cancelled = cancelled_by_condition(error)
                if cancelled and cancelled[0]:
                    break  # compensated meanwhile by another processor: read the entry again
                refused = {i for i, no in enumerate(cancelled[1:]) if no}
                if not refused:
                    raise
                if any(isinstance(targets[i][0], Group) for i in refused):
                    # the group is gone or its hour moved on: read it again
                    targets = _targets(entry, len(ids), second)
                else:
                    # a counted row gone since (expired, or its group deleted): nothing to take back there
                    targets = [target for i, target in enumerate(targets) if i not in refused]
        entry.refresh(consistent_read=True)
    raise Conflict("The events' ledger is changing too fast; retry the events")


def _targets(
    entry: CountedEvents, count: int, second: datetime
) -> list[tuple[IssueItem, list[Action], Condition]]:
    """The rows a compensation of ``count`` events adds back to, with their actions and the
    condition that they are still what was read. A group holds its current hour's count itself
    (``hour_writes``); an older hour is on its row."""
    if entry.tombstone_id is not None:
        tombstone = GroupTombstone(*GroupTombstone.key(int(entry.tombstone_id)))
        return [(tombstone, [GroupTombstone.times_discarded.add(-count)], IssueItem.pk.exists())]
    if entry.group_id is None:
        return []
    group_id = int(entry.group_id)
    try:
        group = Group.get(*Group.key(group_id), consistent_read=True)
    except Group.DoesNotExist:
        return []  # deleted: its counts went with it
    hour = hour_bucket(second)
    if group.current_hour == hour:
        actions = [Group.times_seen.add(-count), Group.current_hour_count.add(-count)]
        return [(group, actions, Group.pk.exists() & (Group.current_hour == hour))]
    hour_row, _ = hourly_count_write(group_id, hour, -count)
    return [
        (group, [Group.times_seen.add(-count)], Group.pk.exists() & _not_holding(hour)),
        (hour_row, [GroupHourlyCount.count.add(-count)], IssueItem.pk.exists()),
    ]


def _not_holding(hour: str) -> Condition:
    """The group does not hold ``hour`` as its current hour (so that hour's count is on its row)."""
    return Group.current_hour.does_not_exist() | (Group.current_hour != hour)
