"""From events to their issue, a group of events at a time: all events of one grouping hash in a
batch are counted together, and the hashes of one ledger shard in shared transactions
(``process_events``); one event alone is a batch of one (``process_event``).

Per ledger shard of a project: the ledger's read of the events already counted
(``shared.ingest.ledger``: a redelivered event counts nothing twice), GroupHash → group per hash
(existing or new), then one transaction for a few groups of the shard (as many as the engine's
transaction limit takes) that adds each group's events to its ``times_seen``, sets
``last_seen``/title/culprit/level from its newest event (on condition that the group is live and
the events are not older than its last one), adds them to their hour's count (on the group item
for its current hour) and puts one ledger entry per second of their time for all of them (on
condition that it is new); the ledger's second read compensates an event two deliveries counted.
A new issue, a tombstoned hash or a group too busy for a shared transaction is counted on its own
(``process_hash_events``), in transactions of whole seconds.
Then per group the users' merge, the latest event (at most once a second), one read of the group,
and the transitions the events cause (regression, snooze expiry, escalation) on the first event that
triggers them. The group's place
in the ``by_project_status`` index (its ``gsi1sk``) moves only when ``last_seen`` has advanced by
``INDEX_STEP`` since it last moved, so a storm moves it once a minute, not once per event.

Hash states (decision 16 and the deletion pipeline):
- tombstoned: the events are dropped and counted on the tombstone (``times_discarded``);
- linked to a live group: the events are counted there;
- linked to a group being merged: followed to the merge parent (``merged_into``);
- unlinked, or linked to a group that is gone or being deleted: the first event starts a new group,
  which claims the hash on condition that nobody else claimed it meanwhile (else: start over); the
  others are counted on it."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from shared.errors import Conflict
from shared.ingest import ledger
from shared.ingest.event import Event
from shared.ingest.grouping import event_hash
from shared.ingest.ledger import Target, second_of
from shared.issues.enums import GroupStatus, GroupSubStatus
from shared.issues.events.counts import CurrentHour, hour_writes, record_users
from shared.issues.events.escalation import escalate_if_needed
from shared.issues.events.latest import record_latest_event
from shared.issues.events.regression import regress_group
from shared.issues.events.unsnooze import unsnooze_if_over
from shared.issues.groups import ClaimTaken, CreatedBy, HashTaken, create_group
from shared.issues.transaction import transaction
from shared.releases.release_events import record_release_event
from shared.storage.accounts import ProjectKey
from shared.storage.base import cancelled_by_condition, condition_failed
from shared.storage.dynamodb import max_transaction_items
from shared.storage.group_state import GroupHash, GroupTombstone, hour_bucket
from shared.storage.issues import Group, IssueItem, status_index_sk

# Statuses an event is counted on; the others are on their way out (deletion, merge).
LIVE_STATUSES = (GroupStatus.UNRESOLVED, GroupStatus.RESOLVED, GroupStatus.IGNORED, GroupStatus.REPROCESSING)
# Each attempt loses a race to a concurrent writer; more than a few in a row means something is wrong.
MAX_ATTEMPTS = 5
# Sentry bumps last_seen only when it is over a minute old; our index key moves at the same pace.
INDEX_STEP = timedelta(seconds=60)


@dataclass(frozen=True)
class Outcome:
    """What became of one event: its group (None when dropped or already counted), whether the
    group is new, and the transition it caused, if any (``regressed``, ``unignored``,
    ``escalated``). ``duplicate`` events were counted by an earlier delivery."""

    event_id: str
    hash: str
    group_id: int | None
    is_new: bool = False
    discarded: bool = False
    transition: str | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class ProjectRef:
    """The project as its DSN key knows it: enough to create a group without reading the project."""

    id: int
    org_id: int


def process_event(key: ProjectKey, event: Event) -> Outcome:
    """Store ``event`` of the key's project as an occurrence of its issue (a batch of one)."""
    project = ProjectRef(int(key.project_id), int(key.org_id))
    [outcome] = process_hash_events(project, event_hash(event), [event])
    return outcome


def process_events(
    project: ProjectRef, by_hash: Mapping[str, Sequence[Event]]
) -> dict[str, list[Outcome] | Exception]:
    """Store the events of a batch of the project, ``by_hash`` (grouping hash → its events), as
    occurrences of their issues: per hash its Outcomes in the order given, or the exception that
    kept them from being stored (the other hashes are stored all the same).

    Per ledger shard: one ledger read of the shard's seconds; then each hash read; the hashes linked
    to a group are counted together, a few groups per transaction with one ledger entry per second
    for all of them (``_count_shared``); the others (new issues, tombstoned hashes) one by one,
    in the order of their first event (``process_hash_events``)."""
    results: dict[str, list[Outcome] | Exception] = {}
    outcomes: dict[str, Outcome] = {}
    pending = {hash_value: _unique(events) for hash_value, events in by_hash.items()}
    shards: dict[int, list[str]] = defaultdict(list)
    for hash_value in by_hash:
        shards[ledger.shard_of(hash_value)].append(hash_value)
    checks: dict[int, ledger.PreCheck] = {}
    alone: dict[str, GroupHash | None] = {}
    shared: dict[int, list[_Share]] = defaultdict(list)
    for shard, hashes in shards.items():
        try:
            checks[shard] = ledger.uncounted(project.id, shard, [e for h in hashes for e in pending[h]])
        except Exception as error:
            results.update((hash_value, error) for hash_value in hashes)
            continue
        left = {event.event_id for event in checks[shard].uncounted}
        for hash_value in hashes:
            for event in pending[hash_value]:
                if event.event_id not in left:
                    outcomes[event.event_id] = Outcome(event.event_id, hash_value, None, duplicate=True)
            pending[hash_value] = [event for event in pending[hash_value] if event.event_id in left]
    for hash_value in by_hash:
        if hash_value in results or not pending[hash_value]:
            continue
        try:
            hash_row = _get_hash(project.id, hash_value)
        except Exception as error:
            results[hash_value] = error
            continue
        if hash_row is not None and hash_row.tombstone_id is None and hash_row.group_id is not None:
            share = _Share(hash_value, int(hash_row.group_id), pending[hash_value])
            shared[ledger.shard_of(hash_value)].append(share)
        else:
            alone[hash_value] = hash_row
    for hash_value, hash_row in alone.items():
        try:
            read = (checks[ledger.shard_of(hash_value)], hash_row)
            results[hash_value] = process_hash_events(project, hash_value, pending[hash_value], read)
        except Exception as error:
            results[hash_value] = error
    for shard, shares in shared.items():
        for unit in _units(shares):
            try:
                moved = _count_shared(project, shard, unit, checks[shard], outcomes)
            except Exception as error:
                results.update((share.hash, error) for share in unit)
                continue
            for share in moved:  # its group went away or is being merged: counted on its own
                try:
                    results[share.hash] = process_hash_events(project, share.hash, share.events)
                except Exception as error:
                    results[share.hash] = error
    stored: dict[str, list[Outcome] | Exception] = {}
    for hash_value, events in by_hash.items():
        result = results.get(hash_value, [])
        if isinstance(result, Exception):
            stored[hash_value] = result
        else:
            stored[hash_value] = _in_order(events, {**outcomes, **{o.event_id: o for o in result}})
    return stored


def _unique(events: Sequence[Event]) -> list[Event]:
    """Events in time order, each once (an SDK's resend may be in the same batch)."""
    return sorted({event.event_id: event for event in events}.values(), key=lambda e: e.timestamp)


@dataclass(frozen=True)
class _Share:
    """The uncounted events of one hash linked to a group, to be counted with other hashes' of
    its ledger shard."""

    hash: str
    group_id: int
    events: list[Event]


def _units(shares: list[_Share]) -> list[list[_Share]]:
    """Shares per transaction: each group's update, its hours' rows (and the row its count may
    move to), and one ledger entry per second (per ``IDS_PER_ENTRY`` ids) for all of them, within
    the engine's item limit. A share too large for a transaction of its own is a unit alone
    (counted in several transactions by ``_count_on_group``)."""
    limit = max_transaction_items()
    units: list[list[_Share]] = []
    current: list[_Share] = []
    rows = 0
    per_second: Counter[datetime] = Counter()
    for share in shares:
        seconds = Counter(second_of(event) for event in share.events)
        share_rows = 2 + len({hour_bucket(event.timestamp) for event in share.events})
        merged = per_second + seconds
        entries = sum(ledger.entries_in(n) for n in merged.values())
        if current and rows + share_rows + entries > limit:
            units.append(current)
            current, rows, per_second = [], 0, Counter()
            merged = seconds
        current.append(share)
        rows += share_rows
        per_second = merged
    if current:
        units.append(current)
    return units


def _count_shared(
    project: ProjectRef,
    shard: int,
    unit: list[_Share],
    check: ledger.PreCheck,
    outcomes: dict[str, Outcome],
) -> list[_Share]:
    """Count the shares of ``unit`` in one transaction (each group renamed by its newest event
    unless it has seen a newer one), then each group's users, latest event, index and
    transitions. A refused group is read: counted again with what it holds, or, gone or being
    merged, returned to be counted on its own (nothing of it was counted)."""
    if len(unit) == 1 and len(_chunks(unit[0].events)) > 1:
        share = unit[0]
        found = _count_on_group(project, share.group_id, share.events, share.hash, outcomes, check)
        return [] if found else [share]
    renaming = {share.hash: True for share in unit}
    known: dict[str, CurrentHour | None] = {share.hash: None for share in unit}
    elsewhere: list[_Share] = []
    for _ in range(MAX_ATTEMPTS):
        if not unit:
            return elsewhere
        countings = [
            _Counting(
                Group(*Group.key(share.group_id)),
                Target(group_id=share.group_id),
                share.events,
                _group_write(share.group_id, renaming[share.hash], known[share.hash]),
            )
            for share in unit
        ]
        try:
            written = _write_counted(project, shard, countings)
        except _NotCounted as refused:
            to_read = [unit[i] for i in refused.indexes]
            while to_read:
                share = to_read.pop()
                current = _read_group(share.group_id)
                if current is None or int(current.status) not in LIVE_STATUSES:
                    unit.remove(share)
                    elsewhere.append(share)
                    continue
                known[share.hash] = CurrentHour.of(current)
                renaming[share.hash] &= current.last_seen <= share.events[-1].timestamp
                if current.current_hour != hour_bucket(share.events[-1].timestamp):
                    # a new hour: the other groups hold the previous one too (an engine may
                    # report the first refusal only), read them all at once
                    to_read += [s for s in unit if known[s.hash] is None and s not in to_read]
            continue
        for share, (done, _) in zip(unit, written, strict=True):
            ids = {event.event_id for event in done}
            for event in share.events:
                if event.event_id not in ids:
                    outcomes[event.event_id] = Outcome(event.event_id, share.hash, None, duplicate=True)
            fresh = check.fresh_seconds(share.group_id)
            _after_counting(project, share.group_id, share.hash, done, outcomes, fresh, None)
        return elsewhere
    raise Conflict("The event's issue is changing too fast; retry the event")


def process_hash_events(
    project: ProjectRef,
    hash_value: str,
    events: Sequence[Event],
    read: tuple[ledger.PreCheck, GroupHash | None] | None = None,
) -> list[Outcome]:
    """Store ``events`` (all of grouping hash ``hash_value``) as occurrences of their issue; one
    Outcome per event, in the order given. ``read``: the ledger's read of them and the hash row,
    just made, if any."""
    pending = _unique(events)
    shard = ledger.shard_of(hash_value)
    outcomes: dict[str, Outcome] = {}
    first_check: ledger.PreCheck | None = None
    for _ in range(MAX_ATTEMPTS):
        fresh_read = read if first_check is None else None
        check = fresh_read[0] if fresh_read is not None else ledger.uncounted(project.id, shard, pending)
        first_check = first_check or check  # the latest event goes by what the first read found
        left = {event.event_id for event in check.uncounted}
        for event in pending:
            if event.event_id not in left:
                outcomes[event.event_id] = Outcome(event.event_id, hash_value, None, duplicate=True)
        pending = [event for event in pending if event.event_id in left]
        if not pending:
            return _in_order(events, outcomes)
        hash_row = fresh_read[1] if fresh_read is not None else _get_hash(project.id, hash_value)
        if hash_row is not None and hash_row.tombstone_id is not None:
            discarded = _count_discarded(project, hash_value, int(hash_row.tombstone_id), pending)
            counted = {event.event_id for event in discarded}
            for event in pending:
                done = event.event_id in counted
                outcomes[event.event_id] = Outcome(
                    event.event_id, hash_value, None, discarded=done, duplicate=not done
                )
            return _in_order(events, outcomes)
        stale_group_id = None
        if hash_row is not None and hash_row.group_id is not None:
            found = _count_on_group(
                project, int(hash_row.group_id), pending, hash_value, outcomes, first_check
            )
            if found:
                return _in_order(events, outcomes)
            stale_group_id = int(hash_row.group_id)
        first = pending[0]

        def created_by(group_id: int, first: Event = first) -> CreatedBy:
            """The first event counted in the creating transaction: its ledger entry and hour."""
            entries = ledger.entries_for(project.id, shard, [(Target(group_id=group_id), [first])])
            hour = {"current_hour": hour_bucket(first.timestamp), "current_hour_count": 1}
            return CreatedBy(claims=entries, group_attributes=hour)

        try:
            group = create_group(
                project,
                first.title,
                culprit=first.culprit,
                level=first.level,
                first_release_version=_known_release(project.org_id, first.release, first.timestamp),
                first_seen=first.timestamp,
                data={"type": first.type, "metadata": first.metadata},
                hash_value=hash_value,
                stale_group_id=stale_group_id,
                created_by=created_by,
            )
        except (HashTaken, ClaimTaken):
            # a concurrent batch created the group (or a discard tombstoned the hash), or counted
            # the first event meanwhile: read the ledger and the hash again
            continue
        ledger.settle(project.id, shard, [first])
        outcomes[first.event_id] = Outcome(first.event_id, hash_value, int(group.id), is_new=True)
        rest = pending[1:]
        if not rest:
            record_users(int(group.id), first.timestamp, _users([first]))
            record_latest_event(int(group.id), first)
            return _in_order(events, outcomes)
        # The rest of the batch counts on the new group like on any other.
        _count_on_group(project, int(group.id), rest, hash_value, outcomes, first_check, created=first)
        return _in_order(events, outcomes)
    raise Conflict("The event's issue is changing too fast; retry the event")


def _in_order(events: Sequence[Event], outcomes: dict[str, Outcome]) -> list[Outcome]:
    return [outcomes[event.event_id] for event in events]


def _users(events: Sequence[Event]) -> list[str]:
    return [event.user_hash for event in events if event.user_hash]


def _get_hash(project_id: int, hash_value: str) -> GroupHash | None:
    try:
        return GroupHash.get(*GroupHash.key(project_id, hash_value), consistent_read=True)
    except GroupHash.DoesNotExist:
        return None


def _read_group(group_id: int) -> Group | None:
    try:
        return Group.get(*Group.key(group_id), consistent_read=True)
    except Group.DoesNotExist:
        return None


class _NotCounted(Exception):
    """Some counted rows' own conditions refused the write (``indexes``: which countings)."""

    def __init__(self, indexes: list[int]) -> None:
        super().__init__(indexes)
        self.indexes = indexes


@dataclass(frozen=True)
class _RowWrite:
    """What a counting transaction does to its counted row (``actions`` on ``condition``) and to
    the rows beside it (``others``: a group's hour rows); ``hour`` is the group's current hour once
    it is written (``HourWrites.hour``)."""

    actions: list[Action]
    condition: Condition
    others: Sequence[tuple[IssueItem, list[Action]]] = ()
    hour: str | None = None


@dataclass(frozen=True)
class _Counting:
    """Events to count on one row (a group or a tombstone) and how (``write_of`` the events)."""

    row: IssueItem
    target: Target
    events: list[Event]
    write_of: Callable[[list[Event]], _RowWrite]


def _group_write(
    group_id: int, renaming: bool, known: CurrentHour | None
) -> Callable[[list[Event]], _RowWrite]:
    """How events are counted on a live group: ``times_seen``, their hours (``hour_writes``) and,
    ``renaming``, ``last_seen`` and the names of the newest event (on condition that the group has
    seen none newer)."""
    live = Group.pk.exists() & Group.status.is_in(*map(int, LIVE_STATUSES))

    def write_of(batch: list[Event]) -> _RowWrite:
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
        return _RowWrite(actions, condition, plan.rows, plan.hour)

    return write_of


def _write_counted(
    project: ProjectRef, shard: int, countings: list[_Counting]
) -> list[tuple[list[Event], _RowWrite | None]]:
    """One transaction: each counting's write on its row and beside it, and the events' ledger
    entries (one per second for all of them, on condition that they are new); then the ledger's
    compensation of any event another delivery counted meanwhile. Returns per counting the events
    counted and the write that counted them; when an identical entry exists (the same events
    counted at once elsewhere), the ledger is read again and the rest retried; ``_NotCounted``
    when rows' conditions failed."""
    pending = [list(counting.events) for counting in countings]
    while any(pending):
        counted = [(counting.target, events) for counting, events in zip(countings, pending, strict=True)]
        entries = ledger.entries_for(
            project.id, shard, [(target, events) for target, events in counted if events]
        )
        writes: list[_RowWrite | None] = [
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
                raise _NotCounted(refused) from error
            raise
        ledger.settle(project.id, shard, [event for events in pending for event in events])
        return list(zip(pending, writes, strict=True))
    return [([], None) for _ in countings]


def _chunks(events: list[Event]) -> list[list[Event]]:
    """Events (in time order) per transaction: whole seconds, with their ledger entries and their
    hours' count rows beside the counted row, within the engine's item limit."""
    limit = max_transaction_items()
    chunks: list[list[Event]] = []
    current: list[Event] = []
    entries = 0
    hours: set[str] = set()
    for second, same_second in itertools.groupby(events, key=second_of):
        hour = hour_bucket(second)
        group = list(same_second)
        needed = ledger.entries_in(len(group))
        # + the counted row and the row of the hour a group's count may move out of
        if current and entries + needed + len(hours | {hour}) + 2 > limit:
            chunks.append(current)
            current, entries, hours = [], 0, set()
        current += group
        entries += needed
        hours.add(hour)
    if current:
        chunks.append(current)
    return chunks


def _count_discarded(
    project: ProjectRef, hash_value: str, tombstone_id: int, events: list[Event]
) -> list[Event]:
    """``times_discarded`` ADD n on the tombstone, conditional on it existing, so a tombstone
    deleted meanwhile is not recreated as a bare counter; returns the events counted."""
    tombstone = GroupTombstone(*GroupTombstone.key(tombstone_id))
    counted: list[Event] = []
    for chunk in _chunks(events):
        counting = _Counting(
            tombstone,
            Target(tombstone_id=tombstone_id),
            chunk,
            lambda pending: _RowWrite(
                [GroupTombstone.times_discarded.add(len(pending))], GroupTombstone.pk.exists()
            ),
        )
        try:
            [(done, _)] = _write_counted(project, ledger.shard_of(hash_value), [counting])
        except _NotCounted:
            return counted
        counted += done
    return counted


def _count_on_group(
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
    pending = _chunks(events)[::-1]
    renaming = True
    known: CurrentHour | None = None  # what the group holds of its current hour, once read
    attempts = 0
    while pending:
        chunk = pending[0]
        newest = chunk[-1]
        counting = _Counting(
            Group(*Group.key(group_id)),
            Target(group_id=group_id),
            chunk,
            _group_write(group_id, renaming, known),
        )
        try:
            [(done, written)] = _write_counted(project, ledger.shard_of(hash_value), [counting])
        except _NotCounted:
            # gone, merged, renamed by a newer event, or its hour is not the one assumed: read it
            attempts += 1
            if attempts > MAX_ATTEMPTS:
                raise Conflict("The event's issue is changing too fast; retry the event") from None
            current = _read_group(group_id)
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
    _after_counting(project, group_id, hash_value, counted, outcomes, check.fresh_seconds(group_id), created)
    return True


def _after_counting(
    project: ProjectRef,
    group_id: int,
    hash_value: str,
    counted: list[Event],
    outcomes: dict[str, Outcome],
    fresh: frozenset[datetime],
    created: Event | None,
) -> None:
    """Users, the latest event, releases, the index move and the transitions of events just
    counted (their counts went with them).

    The latest event (the issue page's stack trace, several KB) is written at most once a second
    per hash: only when nobody had counted an event of the second of the batch's newest event
    before this batch (no ledger entry of the group in that second at the first read), or the
    group is new."""
    everything = ([created] if created is not None else []) + counted
    for hour_events in _by_hour(everything).values():
        record_users(group_id, hour_events[-1].timestamp, _users(hour_events))
    if everything:
        newest = max(everything, key=lambda event: event.timestamp)
        if created is not None or second_of(newest) in fresh:
            record_latest_event(group_id, newest)
    for event in counted:
        outcomes[event.event_id] = Outcome(event.event_id, hash_value, group_id)
    if not counted:
        return
    for version, timestamps in _releases(counted).items():
        for timestamp in sorted({min(timestamps), max(timestamps)}):
            record_release_event(project.org_id, version, timestamp)
    group = Group.get(*Group.key(group_id), consistent_read=True)
    _move_in_index(group)
    triggered = _transition(group, counted)
    if triggered is not None:
        event, transition = triggered
        outcomes[event.event_id] = Outcome(event.event_id, hash_value, group_id, transition=transition)


def _by_hour(events: list[Event]) -> dict[str, list[Event]]:
    hours: dict[str, list[Event]] = {}
    for event in events:
        hours.setdefault(event.timestamp.strftime("%Y-%m-%dT%H"), []).append(event)
    return hours


def _releases(events: list[Event]) -> dict[str, list[datetime]]:
    found: dict[str, list[datetime]] = {}
    for event in events:
        if event.release:
            found.setdefault(event.release, []).append(event.timestamp)
    return found


def _move_in_index(group: Group) -> None:
    """Move the group's ``by_project_status`` key to its ``last_seen`` when that is ``INDEX_STEP``
    or more ahead of where the key stands; conditional, so a concurrent batch that moved it
    further is never undone."""
    if group.last_seen is None:
        return
    target = status_index_sk(group.last_seen, int(group.id))
    threshold = status_index_sk(group.last_seen - INDEX_STEP, int(group.id))
    if group.gsi1sk is not None and group.gsi1sk > threshold:
        return
    try:
        group.update(
            actions=[Group.gsi1sk.set(target)],
            condition=Group.pk.exists() & Group.gsi1pk.exists() & (Group.gsi1sk < target),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _transition(group: Group, events: list[Event]) -> tuple[Event, str] | None:
    """The transition the events cause on their (just counted) group, performed, with the event
    that caused it; None when none."""
    status = int(group.status)
    newest = events[-1]
    if status == GroupStatus.RESOLVED:
        tried: set[str | None] = set()
        for event in events:  # the first event whose release the resolution does not cover
            if event.release in tried:
                continue
            tried.add(event.release)
            if regress_group(group, event.event_id, event.release, event.timestamp):
                return event, "regressed"
            if int(group.status) != GroupStatus.RESOLVED:
                return None
        return None
    if status == GroupStatus.IGNORED:
        if group.substatus is not None and int(group.substatus) == GroupSubStatus.UNTIL_ESCALATING:
            escalated = escalate_if_needed(group, newest.event_id, newest.timestamp)
            return (newest, "escalated") if escalated else None
        return (newest, "unignored") if unsnooze_if_over(group, newest.timestamp) else None
    return None


def _known_release(org_id: int, version: str | None, timestamp: datetime) -> str | None:
    """The event's release if the releases table has it, with the event counted on it (its first
    and last event): a group's first release must be a real release (it counts in the release's
    ``new_groups``); ingestion does not create releases."""
    if not version:
        return None
    return version if record_release_event(org_id, version, timestamp) else None
