"""Hourly event and user counts of a group: what snooze windows, issue views and the escalation
forecast read.

Each batch of a group's events in one hour adds to one count with ``UpdateItem ADD`` (concurrent
batches never lose a count, nothing is read first) inside the transaction that counts the events
on the group (``hour_writes``): the group's newest hour is counted on the group item itself
(``current_hour``/``current_hour_count``, one item fewer per transaction: a storm's batch pays for
the group item and its ledger entry only), an older hour on its ``GroupHourlyCount`` row. When the
hour moves on, the transaction that starts the new hour adds the old hour's count to its row, on
condition that the group still holds the count it read, so concurrent batches neither lose nor
double it. Every reader of counts goes through ``_with_current_hour``, which adds the group's
current hour to the rows. A batch also merges its users into a sketch (``user_sketch``: exact up to
100 users, then a HyperLogLog of 4,096 registers, standard error 1.6 %, 99.7 % of counts within
4.9 %): the group's newest hour of users rides on its tag summary item (``users_hour``/``users``,
merged in the same conditional write as the tags, ``shared.tags.store``; ``current_users_change``),
an older hour is on its ``GroupHourlyUsers`` row. When the hour moves on, the old hour's sketch is
merged into its row before the item lets it go. A sketch is merged with a conditional write on the
version it read, retried when a concurrent writer won, and not written at all when the batch adds
nobody new; merging is idempotent (register maximum), so a retried merge never counts a user twice
and a sketch read both on the item and on its row counts nobody twice. Every reader of users goes
through ``_hour_rows``, which reads the item before the rows (a sketch moved in between is on
the row). Counts over several hours merge the hours' sketches.
Rows expire by TTL after seven days; reads skip rows past their expiry because a local table (and
DynamoDB itself, for up to days) may still hold them.

Windows are counted in whole hours: a window of N minutes covers every hour bucket that overlaps
it, which can count events up to 59 minutes older than the window (documented in decisions)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from shared.errors import Conflict
from shared.issues.events.user_sketch import UserSketch, merged
from shared.issues.transaction import transaction
from shared.storage.base import cancelled_by_condition, utcnow
from shared.storage.group_state import (
    HOURLY_COUNT_RETENTION_DAYS,
    GroupHourlyCount,
    GroupHourlyUsers,
    hour_bucket,
    hour_start,
)
from shared.storage.group_tags import GroupTags
from shared.storage.issues import Group, IssueItem, group_pk
from shared.storage.versioned import MERGE_ATTEMPTS, merge_versioned

RETENTION = timedelta(days=HOURLY_COUNT_RETENTION_DAYS)


def hourly_count_write(
    group_id: int, hour: str, events: int, *, flushed: bool = False
) -> tuple[GroupHourlyCount, list[Action]]:
    """The row and ``UpdateItem`` actions that add ``events`` to the group's row of ``hour``;
    ``flushed`` when they are the group's current-hour count, moved there as the hour moves on."""
    row = GroupHourlyCount(*GroupHourlyCount.key(group_id, hour))
    actions = [
        GroupHourlyCount.count.add(events),
        GroupHourlyCount.kind.set(GroupHourlyCount),
        GroupHourlyCount.hour.set(hour),
        GroupHourlyCount.expires_at.set(hour_start(hour) + timedelta(hours=1) + RETENTION),
    ]
    if flushed:
        actions.append(GroupHourlyCount.flushed.set(True))
    return row, actions


@dataclass(frozen=True)
class CurrentHour:
    """What a group item holds of its newest hour: the hour (None: none yet) and its count (None:
    not known, as after an ADD; a plan then never moves the hour on)."""

    hour: str | None
    count: int | None = None

    @classmethod
    def of(cls, group: Group) -> CurrentHour:
        return cls(group.current_hour, group.current_hour_count or 0)


@dataclass(frozen=True)
class HourWrites:
    """How one transaction adds a group's events to their hours: actions on the group item with
    their condition (None: no condition on its hour), and ADDs on hour rows."""

    group_actions: list[Action]
    group_condition: Condition | None
    rows: list[tuple[GroupHourlyCount, list[Action]]]
    hour: str | None  # the group's current hour once they are written (None: left unknown)


def hour_writes(group_id: int, events_by_hour: Mapping[str, int], known: CurrentHour | None) -> HourWrites:
    """The writes that add ``events_by_hour`` (hour → events) to the group's counts, given what is
    ``known`` of the group's current hour (None: nothing; the batch's newest hour is assumed, which
    every batch of a storm but the first of each hour finds true).

    - the newest hour is the group's: ADD to ``current_hour_count``, on condition that it still is;
    - the group holds no hour yet: the newest hour starts, on condition that it still holds none;
    - the group holds an older hour (its count known): the newest hour starts and the old count is
      added to its row (marked ``flushed``), on condition that the group holds that hour and count;
    - the group holds a newer hour: every hour goes to its row.
    Events of the other hours go to their rows. A failed condition means the caller reads the
    group and asks again."""
    newest = max(events_by_hour)
    rows = dict(events_by_hour)
    held = known.hour if known is not None else newest
    if known is not None and held is not None and held < newest and known.count is None:
        held = newest  # the count to move is not known: assume the newest hour, to fail and read
    if held is not None and held > newest:
        return HourWrites([], None, _row_writes(group_id, rows, None), held)
    events = rows.pop(newest)
    if held == newest:
        return HourWrites(
            [Group.current_hour_count.add(events)],
            Group.current_hour == newest,
            _row_writes(group_id, rows, None),
            newest,
        )
    start = [Group.current_hour.set(newest), Group.current_hour_count.set(events)]
    if held is None:
        return HourWrites(
            start, Group.current_hour.does_not_exist(), _row_writes(group_id, rows, None), newest
        )
    count = (known.count or 0) if known is not None else 0
    rows[held] = rows.get(held, 0) + count
    holds = (Group.current_hour == held) & (Group.current_hour_count == count)
    return HourWrites(start, holds, _row_writes(group_id, rows, held), newest)


def _row_writes(
    group_id: int, events_by_hour: Mapping[str, int], flushed: str | None
) -> list[tuple[GroupHourlyCount, list[Action]]]:
    return [
        hourly_count_write(group_id, hour, events, flushed=hour == flushed)
        for hour, events in sorted(events_by_hour.items())
    ]


def flush_current_hour(group_id: int) -> None:
    """Move the group's current-hour count to its hour's row and clear it from the group, on
    condition that the group still holds what was read (a merge then moves rows only)."""
    for _ in range(MERGE_ATTEMPTS):
        try:
            group = Group.get(*Group.key(group_id), consistent_read=True)
        except Group.DoesNotExist:
            return
        if group.current_hour is None:
            return
        hour, count = group.current_hour, group.current_hour_count or 0
        row, actions = hourly_count_write(group_id, hour, count, flushed=True)
        try:
            with transaction() as write:
                write.update(
                    group,
                    actions=[Group.current_hour.remove(), Group.current_hour_count.remove()],
                    condition=(Group.current_hour == group.current_hour)
                    & (Group.current_hour_count == count),
                )
                write.update(row, actions=actions)
            return
        except TransactWriteError as error:
            if not any(cancelled_by_condition(error)):
                raise
    raise Conflict("The issue's counts are changing too fast; retry")


def _current_hour(group_id: int) -> CurrentHour | None:
    """The group's current hour, read before its rows (see ``_with_current_hour``)."""
    try:
        return CurrentHour.of(Group.get(*Group.key(group_id), consistent_read=True))
    except Group.DoesNotExist:
        return None


def _with_current_hour(
    group_id: int, current: CurrentHour | None, rows: dict[str, GroupHourlyCount], low: str, high: str
) -> dict[str, GroupHourlyCount]:
    """``rows`` (hour → row, hours ``low`` to ``high``) with the group's current-hour count added:
    the one place that makes the group item's hour part of the counts. ``current`` is read before
    the rows: a row marked ``flushed`` already holds that count (the hour moved on in between), so
    it is added at most once and never lost."""
    if current is None or current.hour is None or not current.count or not low <= current.hour <= high:
        return rows
    row = rows.get(current.hour)
    if row is None:
        rows[current.hour] = GroupHourlyCount(
            *GroupHourlyCount.key(group_id, current.hour), hour=current.hour, count=current.count
        )
    elif not row.flushed:
        row.count = (row.count or 0) + current.count
    return rows


def record_events(group_id: int, when: datetime, events: int, user_hashes: Collection[str]) -> None:
    """Count ``events`` events of the group on the row of the hour of ``when`` and merge their
    users (one call per group and hour)."""
    if events:
        row, actions = hourly_count_write(group_id, hour_bucket(when), events)
        row.update(actions=actions)
    record_users(group_id, when, user_hashes)


def record_users(group_id: int, when: datetime, user_hashes: Collection[str]) -> None:
    """Merge the users of events of the group into the sketch of the hour of ``when`` (idempotent:
    a user merged twice counts once)."""
    if user_hashes:
        merge_users(group_id, hour_bucket(when), UserSketch.of(user_hashes), when + RETENTION)


def users_expiry(hour: str) -> datetime:
    """When an hour's users row expires: the retention after the hour's end."""
    return hour_start(hour) + timedelta(hours=1) + RETENTION


def current_users_change(
    group_id: int, held_hour: str | None, held: bytes | None, hour: str, users: UserSketch
) -> tuple[str, bytes] | None:
    """What the item holding the group's newest hour of users (``held_hour``, its sketch ``held``)
    holds once ``users`` of ``hour`` are merged into the group: the hour and sketch to write, or None
    when it stays as it is. An hour older than the held one is merged into its row instead; when
    ``hour`` is newer, the held sketch is merged into its own hour's row first (idempotent, so a
    retried write does it harmlessly again)."""
    if held_hour is not None and held_hour > hour:
        merge_users(group_id, hour, users, users_expiry(hour))
        return None
    if held_hour is not None and held_hour < hour:
        merge_users(group_id, held_hour, UserSketch.from_bytes(held), users_expiry(held_hour))
    stored = UserSketch.from_bytes(held if held_hour == hour else None)
    combined = stored.merge(users)
    if held_hour == hour and combined == stored:
        return None
    return hour, combined.to_bytes()


def move_current_users(group_id: int, to_group_id: int) -> None:
    """Merge the users of the group's newest hour (on its tag summary item) into ``to_group_id``'s
    row of that hour (an issue merge; idempotent)."""
    item = _tag_summary(group_id)
    if item is not None and item.users_hour is not None and item.users:
        sketch = UserSketch.from_bytes(item.users)
        merge_users(to_group_id, item.users_hour, sketch, users_expiry(item.users_hour))


def record_event(group_id: int, when: datetime, user_hash: str | None) -> None:
    """Count one event of the group in the hour of ``when`` (and its user, when known)."""
    record_events(group_id, when, 1, [user_hash] if user_hash else [])


def merge_users(group_id: int, hour: str, users: UserSketch, expires_at: datetime | None) -> None:
    """Merge ``users`` into the group's sketch of ``hour``: read it, merge, write it back on
    condition that nobody wrote it meanwhile (else again, after a short random pause)."""
    key = GroupHourlyUsers.key(group_id, hour)

    def merged_row(row: GroupHourlyUsers | None) -> GroupHourlyUsers | None:
        stored = UserSketch.from_bytes(row.sketch if row else None)
        combined = stored.merge(users)
        if row is not None and combined == stored:
            return None  # nobody new: no write at all
        return GroupHourlyUsers(*key, hour=hour, sketch=combined.to_bytes(), expires_at=expires_at)

    merge_versioned(
        GroupHourlyUsers, key, merged_row, Conflict("The issue's user count is changing too fast; retry")
    )


def hourly_counts(
    group_id: int, since: datetime, until: datetime | None = None
) -> dict[str, GroupHourlyCount]:
    """The group's unexpired hourly counts from the hour of ``since`` to the hour of ``until``
    (default now), keyed by hour bucket, its current hour included: one GetItem of the group and
    one Query (paginated beyond 1 MB, i.e. never in practice)."""
    now = utcnow()
    until = until or now
    current = _current_hour(group_id)
    low = GroupHourlyCount.key(group_id, hour_bucket(since))[1]
    high = GroupHourlyCount.key(group_id, hour_bucket(until))[1]
    rows = GroupHourlyCount.query(
        group_pk(group_id), GroupHourlyCount.sk.between(low, high), consistent_read=True
    )
    found = {row.hour: row for row in rows if row.expires_at is None or row.expires_at > now}
    return _with_current_hour(group_id, current, found, hour_bucket(since), hour_bucket(until))


def events_since(group_id: int, since: datetime) -> int:
    """Events of the group in the hour buckets from ``since`` until now."""
    return sum(row.count or 0 for row in hourly_counts(group_id, since).values())


# ``tags`` not read yet: ``_hour_rows`` reads the tag summary item itself.
UNREAD = object()


def _hour_rows(
    group_id: int, since: datetime, until: datetime, tags: GroupTags | object | None = UNREAD
) -> tuple[dict[str, GroupHourlyCount], dict[str, UserSketch]]:
    """The unexpired count rows of the hours from ``since`` to ``until`` and their user sketches,
    by hour, from one Query (counts and sketches of an hour are neighbours) and the tag summary
    item, which holds the newest hour's sketch: the one reader of users. The item is read first
    (one GetItem) unless the caller read it already (``tags``, ``None`` when there is none), as it
    must be, before the rows: a sketch that moves to its row in between is read there."""
    now = utcnow()
    low = GroupHourlyCount.key(group_id, hour_bucket(since))[1]
    high = GroupHourlyUsers.key(group_id, hour_bucket(until))[1]
    counts: dict[str, GroupHourlyCount] = {}
    sketches: dict[str, UserSketch] = {}
    item = tags if tags is None or isinstance(tags, GroupTags) else _tag_summary(group_id)
    for row in IssueItem.query(group_pk(group_id), IssueItem.sk.between(low, high), consistent_read=True):
        if row.expires_at is not None and row.expires_at <= now:
            continue
        if isinstance(row, GroupHourlyCount):
            counts[row.hour] = row
        elif isinstance(row, GroupHourlyUsers):
            sketches[row.hour] = UserSketch.from_bytes(row.sketch)
    return counts, with_held_users(sketches, item, hour_bucket(since), hour_bucket(until))


def only_current_hour(group: Group, tags: GroupTags | None) -> bool:
    """Whether every event of ``group`` is counted in its current hour, so that it has no hourly
    row of counts or users: ``times_seen`` is always the current hour's count plus the rows'
    (counting, the hour moving on and the ledger's compensation change both sides in one
    transaction; a merge adds the child's ``times_seen`` before moving its rows), so when the two
    counts are equal every row holds nothing. The users of that hour are on the tag summary item
    (``tags``) unless it has moved on to a newer hour since the group was read (then its older
    sketch is on a row, and this says no)."""
    if group.current_hour is None or group.current_hour_count is None:
        return False
    if (group.times_seen or 0) != group.current_hour_count:
        return False
    return tags is None or tags.users_hour is None or tags.users_hour == group.current_hour


def _tag_summary(group_id: int) -> GroupTags | None:
    try:
        return GroupTags.get(*GroupTags.key(group_id), consistent_read=True)
    except GroupTags.DoesNotExist:
        return None


def with_held_users(
    sketches: dict[str, UserSketch], item: GroupTags | None, low: str, high: str
) -> dict[str, UserSketch]:
    """``sketches`` (hour → the sketch of its ``GroupHourlyUsers`` row, hours ``low`` to ``high``)
    with the newest hour of users the group's tag summary ``item`` holds merged in: the one place
    that makes it part of the users. A reader of many groups' users does the same with their
    items, read before their rows (a sketch moved in between is on its row; merged twice, it
    counts nobody twice)."""
    if item is None or item.users_hour is None or not item.users or not low <= item.users_hour <= high:
        return sketches
    held = UserSketch.from_bytes(item.users)
    sketches[item.users_hour] = sketches.get(item.users_hour, UserSketch()).merge(held)
    return sketches


def users_since(group_id: int, since: datetime) -> int:
    """Distinct users of the group in the hour buckets from ``since`` until now."""
    return merged(list(_hour_rows(group_id, since, utcnow())[1].values())).count()


def users_seen(group_id: int) -> int:
    """Distinct users of the group over the retained counts (seven days): Sentry's
    ``count_users_seen`` for snoozes whose user count has no window."""
    return users_since(group_id, utcnow() - RETENTION)


@dataclass(frozen=True)
class RecentCounts:
    """What an issue view shows of its counts, from the retained hourly rows: events and distinct
    users of any period within them (Sentry's ``count``/``userCount`` of a ``statsPeriod``), and
    the series of Sentry's ``stats`` (``24h``: hourly, ``14d``: daily)."""

    hours: dict[str, int]
    sketches: dict[str, UserSketch]
    now: datetime

    @property
    def users_seen(self) -> int:
        return merged(list(self.sketches.values())).count()

    def users_since(self, since: datetime) -> int:
        low = hour_bucket(since)
        return merged([sketch for hour, sketch in self.sketches.items() if hour >= low]).count()

    def events_since(self, since: datetime) -> int:
        low = hour_bucket(since)
        return sum(count for hour, count in self.hours.items() if hour >= low)

    def series(self, buckets: int, size: timedelta) -> list[tuple[datetime, int]]:
        """``buckets`` of ``size`` (an hour or a day) ending with the current one, oldest first."""
        if size >= timedelta(days=1):
            end = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            end = self.now.replace(minute=0, second=0, microsecond=0)
        starts = [end - size * (buckets - 1 - i) for i in range(buckets)]
        totals = dict.fromkeys(starts, 0)
        for hour, count in self.hours.items():
            when = hour_start(hour)
            for start in reversed(starts):
                if start <= when < start + size:
                    totals[start] += count
                    break
        return list(totals.items())

    @property
    def last_24h(self) -> list[tuple[datetime, int]]:
        return self.series(24, timedelta(hours=1))


def recent_counts(group: Group, tags: GroupTags | object | None = UNREAD) -> RecentCounts:
    """One Query of the retained hourly rows gives the counts and users of every hour;
    ``group`` (read before, as a view reads it) brings its current hour, and ``tags`` (its tag
    summary item, when the view read it with the group's other rows) the newest hour's users.
    A group whose events are all of its current hour (``only_current_hour``) has no rows: it is
    read from the two items alone, with no Query (a burst of new issues, a page of young ones)."""
    group_id = group.id
    now = utcnow()
    current = CurrentHour.of(group)
    since = now - RETENTION
    if isinstance(tags, GroupTags | None) and only_current_hour(group, tags):
        found: dict[str, GroupHourlyCount] = {}
        sketches = with_held_users({}, tags, hour_bucket(since), hour_bucket(now))
    else:
        found, sketches = _hour_rows(group_id, since, now, tags)
    rows = _with_current_hour(group_id, current, found, hour_bucket(since), hour_bucket(now))
    return RecentCounts({bucket: row.count or 0 for bucket, row in rows.items()}, sketches, now)
