"""Hourly event and user counts of a group: what snooze windows and the escalation forecast read.

Each event adds to one ``GroupHourlyCount`` row with ``UpdateItem ADD`` (count + 1, the user's hash
into a string set), so concurrent events never lose a count and no event reads before it writes.
Rows expire by TTL after seven days; reads skip rows past their expiry because a local table (and
DynamoDB itself, for up to days) may still hold them.

Windows are counted in whole hours: a window of N minutes covers every hour bucket that overlaps
it, which can count events up to 59 minutes older than the window (documented in decisions)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.storage.base import utcnow
from shared.storage.group_state import HOURLY_COUNT_RETENTION_DAYS, GroupHourlyCount, hour_bucket
from shared.storage.issues import group_pk

RETENTION = timedelta(days=HOURLY_COUNT_RETENTION_DAYS)


def record_event(group_id: int, when: datetime, user_hash: str | None) -> None:
    """Count one event of the group in the hour of ``when`` (and its user, when known)."""
    record_events(group_id, when, 1, [user_hash] if user_hash else [])


def record_events(group_id: int, when: datetime, events: int, user_hashes: Collection[str]) -> None:
    """Count ``events`` events of the group in the hour of ``when`` and their users (hashes):
    one UpdateItem, however many events a batch brings."""
    hour = hour_bucket(when)
    row = GroupHourlyCount(*GroupHourlyCount.key(group_id, hour))
    actions = [
        GroupHourlyCount.count.add(events),
        GroupHourlyCount.kind.set(GroupHourlyCount),
        GroupHourlyCount.hour.set(hour),
        GroupHourlyCount.expires_at.set(when + RETENTION),
    ]
    users = {user for user in user_hashes if user}
    if users:
        actions.append(GroupHourlyCount.users.add(users))
    row.update(actions=actions)


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


def distinct_users(rows: Iterable[GroupHourlyCount]) -> int:
    users: set[str] = set()
    for row in rows:
        users.update(row.users or ())
    return len(users)


def users_since(group_id: int, since: datetime) -> int:
    """Distinct users of the group in the hour buckets from ``since`` until now."""
    return distinct_users(hourly_counts(group_id, since).values())


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
    rows = hourly_counts(group_id, now - RETENTION, now)
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    hours = [start + timedelta(hours=i) for i in range(24)]
    counts = {bucket: int(row.count or 0) for bucket, row in rows.items()}
    series = [(hour, counts.get(hour_bucket(hour), 0)) for hour in hours]
    return RecentCounts(distinct_users(rows.values()), series)
