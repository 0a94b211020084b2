"""From events to their issue, a group of events at a time: all events of one grouping hash in a
batch are counted together (``process_hash_events``), one event alone is a batch of one
(``process_event``).

Per hash: the ledger's read of the events already counted (``shared.ingest.ledger``: a
redelivered event counts nothing twice), GroupHash → group (existing or new), then one transaction
per group that adds the events to ``times_seen``, sets ``last_seen``/title/culprit/level from the
newest event (on condition that the group is live and the events are not older than its last one),
adds them to their hour's count and puts their ledger entry (one per second of their time, on
condition that it is new); the ledger's second read compensates an event two deliveries counted.
Then the users' merge, the latest event (at most once a second), one read of the group, and the
transitions the events cause (regression, snooze expiry, escalation) on the first event that
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
from collections import Counter
from collections.abc import Callable, Sequence
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


def process_hash_events(project: ProjectRef, hash_value: str, events: Sequence[Event]) -> list[Outcome]:
    """Store ``events`` (all of grouping hash ``hash_value``) as occurrences of their issue; one
    Outcome per event, in the order given."""
    pending = sorted(events, key=lambda e: e.timestamp)
    outcomes: dict[str, Outcome] = {}
    fresh: frozenset[datetime] | None = None
    for _ in range(MAX_ATTEMPTS):
        check = ledger.uncounted(project.id, hash_value, pending)
        fresh = check.fresh_seconds if fresh is None else fresh  # as the first read found them
        left = {event.event_id for event in check.uncounted}
        for event in pending:
            if event.event_id not in left:
                outcomes[event.event_id] = Outcome(event.event_id, hash_value, None, duplicate=True)
        pending = check.uncounted
        if not pending:
            return _in_order(events, outcomes)
        hash_row = _get_hash(project.id, hash_value)
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
            found = _count_on_group(project, int(hash_row.group_id), pending, hash_value, outcomes, fresh)
            if found:
                return _in_order(events, outcomes)
            stale_group_id = int(hash_row.group_id)
        first = pending[0]

        def created_by(group_id: int, first: Event = first) -> CreatedBy:
            """The first event counted in the creating transaction: its ledger entry and hour."""
            entries = ledger.entries_for(project.id, hash_value, [first], Target(group_id=group_id))
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
        ledger.settle(project.id, hash_value, [first])
        outcomes[first.event_id] = Outcome(first.event_id, hash_value, int(group.id), is_new=True)
        rest = pending[1:]
        if not rest:
            record_users(int(group.id), first.timestamp, _users([first]))
            record_latest_event(int(group.id), first)
            return _in_order(events, outcomes)
        # The rest of the batch counts on the new group like on any other.
        _count_on_group(project, int(group.id), rest, hash_value, outcomes, fresh, created=first)
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


class _NotCounted(Exception):
    """The counted row's own condition refused the write."""


@dataclass(frozen=True)
class _RowWrite:
    """What a counting transaction does to its counted row (``actions`` on ``condition``) and to
    the rows beside it (``others``: a group's hour rows); ``hour`` is the group's current hour once
    it is written (``HourWrites.hour``)."""

    actions: list[Action]
    condition: Condition
    others: Sequence[tuple[IssueItem, list[Action]]] = ()
    hour: str | None = None


def _write_counted(
    project: ProjectRef,
    hash_value: str,
    row: IssueItem,
    events: list[Event],
    write_of: Callable[[list[Event]], _RowWrite],
    target: Target,
) -> tuple[list[Event], _RowWrite | None]:
    """One transaction: ``write_of(events)`` on ``row`` and beside it, and the events' ledger
    entries (on condition that they are new); then the ledger's compensation of any event another
    delivery counted meanwhile. Returns the events counted and the write that counted them; when
    an identical entry exists (the same events counted at once elsewhere), the ledger is read again
    and the rest retried; ``_NotCounted`` when the row's condition failed."""
    pending = list(events)
    while pending:
        entries = ledger.entries_for(project.id, hash_value, pending, target)
        written = write_of(pending)
        try:
            with transaction() as write:
                for entry in entries:
                    write.save(entry, condition=IssueItem.pk.does_not_exist())
                write.update(row, written.actions, written.condition)
                for other, actions in written.others:
                    write.update(other, actions)
        except TransactWriteError as error:
            cancelled = cancelled_by_condition(error)
            if any(cancelled[: len(entries)]):
                pending = ledger.uncounted(project.id, hash_value, pending).uncounted
                continue
            if len(cancelled) > len(entries) and cancelled[len(entries)]:
                raise _NotCounted() from error
            raise
        ledger.settle(project.id, hash_value, pending)
        return pending, written
    return [], None


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
        try:
            done, _ = _write_counted(
                project,
                hash_value,
                tombstone,
                chunk,
                lambda pending: _RowWrite(
                    [GroupTombstone.times_discarded.add(len(pending))], GroupTombstone.pk.exists()
                ),
                Target(tombstone_id=tombstone_id),
            )
            counted += done
        except _NotCounted:
            return counted
    return counted


def _count_on_group(
    project: ProjectRef,
    group_id: int,
    events: list[Event],
    hash_value: str,
    outcomes: dict[str, Outcome],
    fresh: frozenset[datetime],
    created: Event | None = None,
) -> bool:
    """Count ``events`` on the group (following merges), then its hourly counts, releases and
    transitions. False when the group is gone or being deleted and the events need a new group
    (none of them was counted then)."""
    live = Group.pk.exists() & Group.status.is_in(*map(int, LIVE_STATUSES))
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
        group = Group(*Group.key(group_id))

        def group_write(
            batch: list[Event],
            group_id: int = group_id,
            renaming: bool = renaming,
            known: CurrentHour | None = known,
        ) -> _RowWrite:
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

        try:
            done, written = _write_counted(
                project, hash_value, group, chunk, group_write, Target(group_id=group_id)
            )
        except _NotCounted:
            # gone, merged, renamed by a newer event, or its hour is not the one assumed: read it
            attempts += 1
            if attempts > MAX_ATTEMPTS:
                raise Conflict("The event's issue is changing too fast; retry the event") from None
            try:
                current = Group.get(*Group.key(group_id), consistent_read=True)
            except Group.DoesNotExist:
                current = None
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
    _after_counting(project, group_id, hash_value, counted, outcomes, fresh, created)
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
    before this batch (its ledger partition was empty at the first read), or the group is new."""
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
