"""Hourly event and user counts of a group: what snooze windows, issue views and the escalation
forecast read.

Each batch of a group's events in one hour adds to one ``GroupHourlyCount`` row with ``UpdateItem
ADD`` (concurrent batches never lose a count, nothing is read first; ingestion makes that update
part of the transaction that counts the events on the group, ``hourly_count_write``) and merges
its users into the hour's ``GroupHourlyUsers`` sketch (``user_sketch``: exact up to 100 users,
then a HyperLogLog of 4,096 registers, standard error 1.6 %, 99.7 % of counts within 4.9 %). The
sketch is merged with a conditional write on the version it read, retried when a concurrent writer
won, and not written at all when the batch adds nobody new; merging is idempotent (register
maximum), so a retried merge never counts a user twice. Counts over several hours merge the
hours' sketches.
Rows expire by TTL after seven days; reads skip rows past their expiry because a local table (and
DynamoDB itself, for up to days) may still hold them.

Windows are counted in whole hours: a window of N minutes covers every hour bucket that overlaps
it, which can count events up to 59 minutes older than the window (documented in decisions)."""

from __future__ import annotations

import random
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError
from pynamodb.expressions.update import Action

from shared.errors import Conflict
from shared.issues.events.user_sketch import UserSketch, merged
from shared.storage.base import condition_failed, utcnow
from shared.storage.group_state import (
    HOURLY_COUNT_RETENTION_DAYS,
    GroupHourlyCount,
    GroupHourlyUsers,
    hour_bucket,
)
from shared.storage.issues import IssueItem, group_pk

RETENTION = timedelta(days=HOURLY_COUNT_RETENTION_DAYS)
# Each attempt lost a race to another writer of the same hour; writers of one hour are few
# (a batch carries all of a group's events of the hour), so running out means something is wrong.
MERGE_ATTEMPTS = 25
MERGE_PAUSE_SECONDS = 0.002


def hourly_count_write(group_id: int, when: datetime, events: int) -> tuple[GroupHourlyCount, list[Action]]:
    """The row and ``UpdateItem`` actions that add ``events`` to the group's count of the hour of
    ``when``: ingestion writes them inside the transaction that counts the events on the group, so
    the hour and ``times_seen`` never disagree after a crash."""
    hour = hour_bucket(when)
    row = GroupHourlyCount(*GroupHourlyCount.key(group_id, hour))
    return row, [
        GroupHourlyCount.count.add(events),
        GroupHourlyCount.kind.set(GroupHourlyCount),
        GroupHourlyCount.hour.set(hour),
        GroupHourlyCount.expires_at.set(when + RETENTION),
    ]


def record_events(group_id: int, when: datetime, events: int, user_hashes: Collection[str]) -> None:
    """Count ``events`` events of the group in the hour of ``when`` and merge their users (one call
    per group and hour)."""
    if events:
        row, actions = hourly_count_write(group_id, when, events)
        row.update(actions=actions)
    record_users(group_id, when, user_hashes)


def record_users(group_id: int, when: datetime, user_hashes: Collection[str]) -> None:
    """Merge the users of events of the group into the sketch of the hour of ``when`` (idempotent:
    a user merged twice counts once)."""
    if user_hashes:
        merge_users(group_id, hour_bucket(when), UserSketch.of(user_hashes), when + RETENTION)


def record_event(group_id: int, when: datetime, user_hash: str | None) -> None:
    """Count one event of the group in the hour of ``when`` (and its user, when known)."""
    record_events(group_id, when, 1, [user_hash] if user_hash else [])


def merge_users(group_id: int, hour: str, users: UserSketch, expires_at: datetime | None) -> None:
    """Merge ``users`` into the group's sketch of ``hour``: read it, merge, write it back on
    condition that nobody wrote it meanwhile (else again, after a short random pause)."""
    key = GroupHourlyUsers.key(group_id, hour)
    for attempt in range(MERGE_ATTEMPTS):
        try:
            row: GroupHourlyUsers | None = GroupHourlyUsers.get(*key, consistent_read=True)
        except GroupHourlyUsers.DoesNotExist:
            row = None
        stored = UserSketch.from_bytes(row.sketch if row else None)
        combined = stored.merge(users)
        if row is not None and combined == stored:
            return  # nobody new: no write at all
        version = int(row.version) if row is not None else 0
        condition = (
            GroupHourlyUsers.version == version if row is not None else GroupHourlyUsers.pk.does_not_exist()
        )
        updated = GroupHourlyUsers(
            *key, hour=hour, sketch=combined.to_bytes(), version=version + 1, expires_at=expires_at
        )
        try:
            updated.save(condition=condition)
            return
        except PutError as error:
            if not condition_failed(error):
                raise
        time.sleep(random.uniform(0, MERGE_PAUSE_SECONDS * (attempt + 1)))
    raise Conflict("The issue's user count is changing too fast; retry")


def hourly_counts(
    group_id: int, since: datetime, until: datetime | None = None
) -> dict[str, GroupHourlyCount]:
    """The group's unexpired hourly rows from the hour of ``since`` to the hour of ``until``
    (default now), keyed by hour bucket. One Query (paginated beyond 1 MB, i.e. never in practice)."""
    now = utcnow()
    until = until or now
    low = GroupHourlyCount.key(group_id, hour_bucket(since))[1]
    high = GroupHourlyCount.key(group_id, hour_bucket(until))[1]
    rows = GroupHourlyCount.query(
        group_pk(group_id), GroupHourlyCount.sk.between(low, high), consistent_read=True
    )
    return {row.hour: row for row in rows if row.expires_at is None or row.expires_at > now}


def events_since(group_id: int, since: datetime) -> int:
    """Events of the group in the hour buckets from ``since`` until now."""
    return sum(int(row.count or 0) for row in hourly_counts(group_id, since).values())


def _hour_rows(
    group_id: int, since: datetime, until: datetime
) -> tuple[dict[str, GroupHourlyCount], UserSketch]:
    """The unexpired count rows of the hours from ``since`` to ``until`` and the union of their
    user sketches, from one Query (counts and sketches of an hour are neighbours)."""
    now = utcnow()
    low = GroupHourlyCount.key(group_id, hour_bucket(since))[1]
    high = GroupHourlyUsers.key(group_id, hour_bucket(until))[1]
    counts: dict[str, GroupHourlyCount] = {}
    sketches: list[UserSketch] = []
    for row in IssueItem.query(group_pk(group_id), IssueItem.sk.between(low, high), consistent_read=True):
        if row.expires_at is not None and row.expires_at <= now:
            continue
        if isinstance(row, GroupHourlyCount):
            counts[row.hour] = row
        elif isinstance(row, GroupHourlyUsers):
            sketches.append(UserSketch.from_bytes(row.sketch))
    return counts, merged(sketches)


def users_since(group_id: int, since: datetime) -> int:
    """Distinct users of the group in the hour buckets from ``since`` until now."""
    return _hour_rows(group_id, since, utcnow())[1].count()


def users_seen(group_id: int) -> int:
    """Distinct users of the group over the retained counts (seven days): Sentry's
    ``count_users_seen`` for snoozes whose user count has no window."""
    return users_since(group_id, utcnow() - RETENTION)


@dataclass(frozen=True)
class RecentCounts:
    """What an issue view shows of its counts: distinct users over the retained counts and the
    events of each of the last 24 hours (Sentry's ``stats["24h"]``), from the same rows."""

    users_seen: int
    last_24h: list[tuple[datetime, int]]


def recent_counts(group_id: int) -> RecentCounts:
    """One Query of the retained hourly rows gives both the user count and the 24-hour series."""
    now = utcnow()
    rows, users = _hour_rows(group_id, now - RETENTION, now)
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    hours = [start + timedelta(hours=i) for i in range(24)]
    counts = {bucket: int(row.count or 0) for bucket, row in rows.items()}
    series = [(hour, counts.get(hour_bucket(hour), 0)) for hour in hours]
    return RecentCounts(users.count(), series)
