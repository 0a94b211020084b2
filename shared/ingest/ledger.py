"""The ingestion ledger: which events were counted, one item per counting transaction and second,
so a redelivered event counts nothing twice without a write per event.

A transaction that counts events on their groups (the groups of one ledger shard, ``shard_of``
their grouping hash) or on a tombstone also puts one ``CountedEvents`` entry per second the
events' SDK claimed (``second_of``) for all of them: partition ``COUNTED#<project>#<shard>#<second>``,
sort key a digest of the entry's ids, ids 16 bytes each in runs per group (``spans``: which group
each run was counted on), on condition that it is new. The partition is known from the event's
payload alone (its hash, and the time it claims even when it is counted at the time received), so
every delivery of an event reads the same partition, whatever its receipt time or the issues it
shares a batch with:

- before counting, ``uncounted`` reads (consistent Query) the partitions of the events' seconds
  and drops the ids some entry holds; the same composition counted twice at once collides on the
  sort key instead;
- after counting, ``settle`` reads them again: two deliveries in different compositions that both
  passed the first read have counted an id in two entries. Every entry but the one with the
  smallest sort key then compensates it once: per group of the entry, one transaction that adds
  the duplicate count back (``times_seen`` and the hour's count, on the group while the hour is
  its current one; or ``times_discarded``) and records the ids in the entry's ``compensated``
  set, on condition that the set is as read. Any processor that sees
  the duplicate compensates it (the later of two writers always sees both entries), and the first
  read of a redelivery does the same, so a processor that died between its commit and its
  compensation is made good by the delivery that follows.

What follows counting (the users, the tags, the release's first and last event, the index
key, the transitions) is done after the commit, then recorded done (``mark_followed``): within a
delivery of a project's batch (``delivery``) its entries name the delivery's token
(``followed_by``) and one ``FollowedBatch`` mark, put once every step of the delivery ran, lists
the entries whose steps are done; elsewhere (one event alone, an entry an earlier delivery left)
a ``FollowedUp`` mark beside each entry. An entry without either mark was counted by a processor
that died or failed after the commit: ``uncounted`` reports its events as ``pending`` (counted,
follow-ups not known done), and the delivery that has them finishes the steps; it reads the
marks its entries name only then, when it finds its own events counted. Each step is idempotent (merges,
conditional puts and moves) or guarded (a transition is conditional on the status it leaves and on
its activity row, keyed by the event that caused it, being new), so finishing them again, or twice at
once, does nothing twice."""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.update import Action

from shared.errors import Conflict
from shared.ingest.event import Event
from shared.issues.events.counts import hourly_count_write
from shared.issues.transaction import transaction
from shared.storage.base import batch_get, cancelled_by_condition, utcnow
from shared.storage.group_state import (
    COUNTED_EVENTS_RETENTION_DAYS,
    CountedEvents,
    FollowedBatch,
    FollowedUp,
    GroupHourlyCount,
    GroupTombstone,
    hour_bucket,
)
from shared.storage.issues import Group, IssueItem

RETENTION = timedelta(days=COUNTED_EVENTS_RETENTION_DAYS)
ID_BYTES = 16
# An entry's sort key is a digest of its ids, this many bytes (as hex).
SK_BYTES = 12
# Ids per entry: an entry stays within 16 KB however many events of one second a batch holds.
IDS_PER_ENTRY = 1000
# Ledger shards per project: a storm over a project's issues shares each shard's second among the
# few issues hashed to it (one transaction and one entry for them), and a shard's second takes a
# 32nd of the project's events.
SHARDS = 32
# Events that claim no time of their own (no SDK sends such events) are spread over this many
# pseudo-seconds by their id: each stays findable by any delivery, at about one entry per event.
UNTIMED_SECONDS = 4096
UNTIMED_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Each attempt lost a race to a concurrent compensation of the same entry; they are rare and few.
COMPENSATION_ATTEMPTS = 5


def second_of(event: Event) -> datetime:
    """The second an event's ledger partition is keyed by, the same for every delivery of it: the
    time its SDK gave it, whole seconds, even when that was implausible and the event is counted
    at the time received (a resend is received later, with the same claimed time); an event that
    claims no time takes a second derived from its id (one of ``UNTIMED_SECONDS`` in 1970)."""
    claimed = event.claimed_timestamp
    if claimed is None:
        return UNTIMED_EPOCH + timedelta(seconds=int(event.event_id[:8], 16) % UNTIMED_SECONDS)
    return claimed.replace(microsecond=0)


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


def shard_of(hash_value: str) -> int:
    """The ledger shard of a grouping hash: stable, so every delivery of an event reads the same
    partition, and spread, so a storm over many issues of a project shares each shard's second
    among a few of them."""
    return int.from_bytes(hashlib.blake2b(hash_value.encode(), digest_size=4).digest(), "big") % SHARDS


def entries_for(
    project_id: int, shard: int, counted: Sequence[tuple[Target, Sequence[Event]]]
) -> list[CountedEvents]:
    """The ledger entries of events counted in one transaction, each batch of them on its target
    (groups of one shard, or one tombstone): per ledger second (``second_of``) and hour they were
    counted in, one entry per ``IDS_PER_ENTRY`` events, its ids in target order with ``spans``
    saying whose they are, and ``hour`` when that is not the second's own (an event counted at
    the time received)."""
    by_second: dict[tuple[datetime, str], dict[Target, set[bytes]]] = defaultdict(lambda: defaultdict(set))
    for target, events in counted:
        for event in events:
            key = (second_of(event), hour_bucket(event.timestamp))
            by_second[key][target].add(_id_bytes(event.event_id))
    expires = utcnow() + RETENTION
    current = _delivery.get()
    token = current.token if current is not None and current.project_id == project_id else None
    entries = []
    for (second, hour), targets in sorted(by_second.items()):
        owned = [(target, event_id) for target, ids in targets.items() for event_id in sorted(ids)]
        for start in range(0, len(owned), IDS_PER_ENTRY):
            part = owned[start : start + IDS_PER_ENTRY]
            joined = b"".join(event_id for _, event_id in part)
            tombstones = {target.tombstone_id for target, _ in part if target.tombstone_id is not None}
            entries.append(
                CountedEvents(
                    CountedEvents.partition(project_id, shard, second),
                    hashlib.blake2b(joined, digest_size=SK_BYTES).hexdigest(),
                    ids=joined,
                    spans=None if tombstones else _spans(part),
                    tombstone_id=tombstones.pop() if tombstones else None,
                    hour=None if hour == hour_bucket(second) else hour,
                    expires_at=expires,
                    followed_by=token,
                )
            )
    return entries


def _spans(owned: list[tuple[Target, bytes]]) -> list[int]:
    """Group id and count of each run of ids counted on one group, flattened."""
    spans: list[int] = []
    for target, _ in owned:
        if spans and spans[-2] == target.group_id:
            spans[-1] += 1
        else:
            spans += [target.group_id or 0, 1]
    return spans


def _groups_of(entry: CountedEvents) -> dict[bytes, int]:
    """The group each id of ``entry`` was counted on."""
    raw = bytes(entry.ids or b"")
    spans = list(entry.spans or [])
    owners: dict[bytes, int] = {}
    offset = 0
    for group_id, count in zip(spans[::2], spans[1::2], strict=True):
        for i in range(offset, offset + count):
            owners[raw[i * ID_BYTES : (i + 1) * ID_BYTES]] = group_id
        offset += count
    return owners


def entries_in(events: int) -> int:
    """How many ledger entries ``events`` of one second take."""
    return max(1, -(-events // IDS_PER_ENTRY))


@dataclass(frozen=True)
class _Partition:
    entries: list[CountedEvents]
    followed: set[str]  # sort keys of the entries whose follow-up steps are done


def _read_partitions(project_id: int, shard: int, seconds: Iterable[datetime]) -> dict[datetime, _Partition]:
    """The entries of each second's partition and their follow-up marks (consistent: a commit just
    made is seen)."""
    read: dict[datetime, _Partition] = {}
    for second in sorted(set(seconds)):
        partition = _Partition([], set())
        for item in IssueItem.query(CountedEvents.partition(project_id, shard, second), consistent_read=True):
            if isinstance(item, CountedEvents):
                partition.entries.append(item)
            elif isinstance(item, FollowedUp):
                partition.followed.add(item.sk.removesuffix("#followed"))
        read[second] = partition
    return read


def _read(project_id: int, shard: int, seconds: Iterable[datetime]) -> dict[datetime, list[CountedEvents]]:
    """The entries of each second's partition (consistent: a commit just made is seen)."""
    return {second: p.entries for second, p in _read_partitions(project_id, shard, seconds).items()}


@dataclass(frozen=True)
class Pending:
    """Events an entry counted on ``group_id`` whose follow-up steps are not known done."""

    entry: CountedEvents
    group_id: int
    events: list[Event]


@dataclass(frozen=True)
class PreCheck:
    """What the ledger says of events before they are counted: the events no entry holds yet, the
    counted ones whose follow-up steps are not known done (``pending``) and the group each counted
    one was counted on (``owners``, by event id; none for a tombstone's)."""

    uncounted: list[Event]
    pending: list[Pending] = field(default_factory=list)
    owners: dict[str, int] = field(default_factory=dict)


def uncounted(project_id: int, shard: int, events: Sequence[Event], first: Collection[str] = ()) -> PreCheck:
    """Drop the events the ledger holds, after compensating any of them counted twice (a
    processor that died between its commit and its compensation). ``first``: ids claimed for the
    first time by this delivery (no entry can hold them): only the others' partitions are read,
    none when there are no others."""
    known = [event for event in events if event.event_id not in first]
    if not known:
        return PreCheck(list(events))
    read = _read_partitions(project_id, shard, (second_of(event) for event in known))
    partitions = {second: p.entries for second, p in read.items()}
    by_id = {_id_bytes(event.event_id): event for event in events}
    wanted = set(by_id)
    _compensate_duplicates(partitions, wanted)
    counted = set().union(*(_ids_of(entry) for entries in partitions.values() for entry in entries))
    # each entry's ids of these events, per group (decoded once: an entry holds up to 1,000 ids)
    owned = [(p, entry, _owned(entry, wanted)) for p in read.values() for entry in p.entries]
    unmarked = [(entry, mine) for p, entry, mine in owned if mine and entry.sk not in p.followed]
    marked = _batch_marked(project_id, [entry for entry, _ in unmarked])
    pending = [
        Pending(entry, group_id, [by_id[event_id] for event_id in ids])
        for entry, mine in unmarked
        if (entry.pk, entry.sk) not in marked
        for group_id, ids in mine.items()
    ]
    owners = {
        event_id.hex(): group_id for _, _, mine in owned for group_id, ids in mine.items() for event_id in ids
    }
    uncounted_events = [event for event in events if _id_bytes(event.event_id) not in counted]
    return PreCheck(uncounted_events, pending, owners)


def _owned(entry: CountedEvents, wanted: set[bytes]) -> dict[int, list[bytes]]:
    """The ids of ``wanted`` whose counting ``entry`` owns (not taken back as another entry's
    duplicates), per group; none for a tombstone's (dropped events have no follow-up steps)."""
    if entry.tombstone_id is not None:
        return {}
    owned: dict[int, list[bytes]] = defaultdict(list)
    taken_back = set(entry.compensated or set())
    for event_id, group_id in _groups_of(entry).items():
        if event_id in wanted and event_id not in taken_back:
            owned[group_id].append(event_id)
    return owned


def covers(entry: CountedEvents, followed: set[str]) -> bool:
    """Whether the follow-up steps of every event ``entry`` owns were done (``followed``: ids)."""
    owned = _owned(entry, _ids_of(entry))
    return all(event_id.hex() in followed for ids in owned.values() for event_id in ids)


def followed_marks(entries: Iterable[CountedEvents]) -> list[FollowedUp]:
    """The marks that record the follow-up steps of ``entries`` done (a tombstone's entry has none)."""
    return [
        FollowedUp(*FollowedUp.key_of(entry), expires_at=entry.expires_at)
        for entry in {(e.pk, e.sk): e for e in entries if e.tombstone_id is None}.values()
    ]


@dataclass
class Delivery:
    """One delivery of a project's batch: the token its entries name and the entries whose
    follow-up steps it did (by key), for its one ``FollowedBatch`` mark."""

    project_id: int
    token: str
    followed: dict[tuple[str, str], CountedEvents] = field(default_factory=dict)


_delivery: ContextVar[Delivery | None] = ContextVar("ledger_delivery", default=None)


@contextmanager
def delivery(project_id: int) -> Iterator[Delivery]:
    """Within it, the project's entries name a new token and ``mark_followed`` gathers them for
    ``write_batch_mark`` instead of putting a mark per entry."""
    current = Delivery(project_id, secrets.token_hex(8))
    reset = _delivery.set(current)
    try:
        yield current
    finally:
        _delivery.reset(reset)


def write_batch_mark(done: Delivery) -> None:
    """Put the delivery's one mark, listing the entries whose follow-up steps it did (none: no
    write). Written last: a delivery that dies before it leaves its entries pending."""
    if not done.followed:
        return
    FollowedBatch(
        *FollowedBatch.key(done.project_id, done.token),
        entries=b"".join(bytes.fromhex(sk) for _, sk in sorted(done.followed)),
        expires_at=max(entry.expires_at or utcnow() + RETENTION for entry in done.followed.values()),
    ).save()


def _batch_marked(project_id: int, entries: Sequence[CountedEvents]) -> set[tuple[str, str]]:
    """The keys of ``entries`` a ``FollowedBatch`` mark lists (one consistent BatchGetItem of the
    marks they name; none when they name none)."""
    tokens = {entry.followed_by for entry in entries if entry.followed_by}
    if not tokens:
        return set()
    keys = [FollowedBatch.key(project_id, token) for token in sorted(tokens)]
    listed: dict[str, set[str]] = {}
    for mark in batch_get(FollowedBatch, keys, consistent_read=True):
        raw = bytes(mark.entries or b"")
        token = mark.pk.rsplit("#", 1)[1]
        listed[token] = {raw[i : i + SK_BYTES].hex() for i in range(0, len(raw), SK_BYTES)}
    return {
        (entry.pk, entry.sk)
        for entry in entries
        if entry.followed_by and entry.sk in listed.get(entry.followed_by, set())
    }


def mark_followed(entries: Iterable[CountedEvents]) -> None:
    """Record the entries' follow-up steps done: those naming the current delivery's token are
    gathered for its one mark (``write_batch_mark``); the others get a small put each (one
    BatchWriteItem)."""
    current = _delivery.get()
    rest = []
    for entry in entries:
        if current is not None and entry.followed_by is not None and entry.followed_by == current.token:
            current.followed[(entry.pk, entry.sk)] = entry
        else:
            rest.append(entry)
    marks = followed_marks(rest)
    if len(marks) == 1:
        marks[0].save()
    elif marks:
        with FollowedUp.batch_write() as batch:
            for mark in marks:
                batch.save(mark)


def settle(project_id: int, shard: int, events: Sequence[Event]) -> None:
    """After ``events`` were counted: compensate every id of theirs that another entry holds too."""
    partitions = _read(project_id, shard, (second_of(event) for event in events))
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
            entry = by_sk[sk]
            if entry.tombstone_id is not None:
                _compensate(entry, ids, second, None)
                continue
            owners = _groups_of(entry)
            by_group: dict[int, set[bytes]] = defaultdict(set)
            for event_id in ids:
                by_group[owners[event_id]].add(event_id)
            for group_id, group_ids in sorted(by_group.items()):
                _compensate(entry, group_ids, second, group_id)


def _compensate(entry: CountedEvents, ids: set[bytes], second: datetime, group_id: int | None) -> None:
    """Take ``ids`` back from what ``entry`` counted on ``group_id`` (None: on its tombstone),
    once: the entry's ``compensated`` set grows in the same transaction, on condition that it is
    still the set read."""
    for _ in range(COMPENSATION_ATTEMPTS):
        ids = ids - set(entry.compensated or set())
        if not ids:
            return
        done = len(entry.compensated or ())
        unchanged = CountedEvents.compensated.does_not_exist()
        if done:
            unchanged = size(CountedEvents.compensated) == done
        targets = _targets(entry, len(ids), second, group_id)
        while True:
            try:
                with transaction() as write:
                    write.update(entry, actions=[CountedEvents.compensated.add(ids)], condition=unchanged)
                    for row, actions, condition in targets:
                        write.update(row, actions=actions, condition=condition)
                entry.compensated = set(entry.compensated or set()) | ids
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
                    targets = _targets(entry, len(ids), second, group_id)
                else:
                    # a counted row gone since (expired, or its group deleted): nothing to take back there
                    targets = [target for i, target in enumerate(targets) if i not in refused]
        entry.refresh(consistent_read=True)
    raise Conflict("The events' ledger is changing too fast; retry the events")


def _targets(
    entry: CountedEvents, count: int, second: datetime, group_id: int | None
) -> list[tuple[IssueItem, list[Action], Condition]]:
    """The rows a compensation of ``count`` events adds back to, with their actions and the
    condition that they are still what was read. A group holds its current hour's count itself
    (``hour_writes``); an older hour is on its row."""
    if entry.tombstone_id is not None:
        tombstone = GroupTombstone(*GroupTombstone.key(entry.tombstone_id))
        return [(tombstone, [GroupTombstone.times_discarded.add(-count)], IssueItem.pk.exists())]
    if group_id is None:
        return []
    try:
        group = Group.get(*Group.key(group_id), consistent_read=True)
    except Group.DoesNotExist:
        return []  # deleted: its counts went with it
    hour = str(entry.hour) if entry.hour else hour_bucket(second)
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
