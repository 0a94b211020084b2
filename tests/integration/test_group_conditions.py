"""Hourly counts, snooze conditions and the escalation check on stored rows (moto server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.metering import count_requests
from shared.accounts.organizations import find_organization
from shared.issues.events.counts import events_since, hourly_counts, record_event, users_seen, users_since
from shared.issues.events.forecast import MINIMUM_CEILING, is_escalating, save_forecast
from shared.issues.events.user_sketch import UserSketch
from shared.issues.groups import create_group
from shared.issues.status.snooze import new_snooze, snooze_is_over
from shared.storage.accounts import Project
from shared.storage.group_state import GroupHourlyCount, GroupHourlyUsers, hour_bucket
from shared.storage.issues import Group
from tests.conftest import World


@pytest.fixture
def group(world: World) -> Group:
    org = find_organization(world.org)
    assert org is not None
    return create_group(Project.get(*Project.key(org.id, world.project)), "ValueError: boom")


def test_events_are_counted_per_hour_with_distinct_users(group: Group) -> None:
    now = datetime.now(UTC)
    with count_requests() as requests:
        record_event(group.id, now, "alice")
    assert requests == {"UpdateItem": 1, "GetItem": 1, "PutItem": 1}  # count ADD, sketch merged
    record_event(group.id, now, "bob")
    with count_requests() as requests:
        record_event(group.id, now, "alice")
    assert requests == {"UpdateItem": 1, "GetItem": 1}  # nobody new: the sketch is not rewritten
    record_event(group.id, now - timedelta(hours=3), None)
    rows = hourly_counts(group.id, now - timedelta(days=1))
    assert rows[hour_bucket(now)].count == 3
    users = GroupHourlyUsers.get(*GroupHourlyUsers.key(group.id, hour_bucket(now)))
    assert UserSketch.from_bytes(users.sketch).count() == 2 and users.version == 2
    assert rows[hour_bucket(now)].expires_at > now + timedelta(days=6)
    assert events_since(group.id, now - timedelta(minutes=30)) == 3
    assert events_since(group.id, now - timedelta(hours=4)) == 4
    assert users_since(group.id, now - timedelta(minutes=5)) == 2
    assert users_seen(group.id) == 2


def test_expired_hours_are_ignored(group: Group) -> None:
    old = datetime.now(UTC) - timedelta(days=8)
    record_event(group.id, old, "carol")
    assert GroupHourlyCount.get(*GroupHourlyCount.key(group.id, hour_bucket(old))).count == 1
    assert events_since(group.id, old - timedelta(hours=1)) == 0


def test_snooze_until_a_time(group: Group) -> None:
    now = datetime.now(UTC)
    snooze = new_snooze(
        group,
        until=now + timedelta(minutes=30),
        count=None,
        window=None,
        user_count=None,
        user_window=None,
        actor_id=None,
    )
    assert not snooze_is_over(snooze, group, now)
    assert snooze_is_over(snooze, group, now + timedelta(minutes=31))


def test_snooze_count_without_window_counts_from_the_snooze(group: Group) -> None:
    snooze = new_snooze(
        group, until=None, count=3, window=None, user_count=None, user_window=None, actor_id=7
    )
    assert snooze.state.as_dict() == {"times_seen": 1}
    group.times_seen = 3
    assert not snooze_is_over(snooze, group)
    group.times_seen = 4
    assert snooze_is_over(snooze, group)


def test_snooze_count_in_a_window_reads_the_hourly_counts(group: Group) -> None:
    snooze = new_snooze(
        group, until=None, count=2, window=60, user_count=None, user_window=None, actor_id=None
    )
    assert snooze.state is None
    record_event(group.id, datetime.now(UTC), None)
    assert not snooze_is_over(snooze, group)
    record_event(group.id, datetime.now(UTC), None)
    assert snooze_is_over(snooze, group)


def test_snooze_user_count(group: Group) -> None:
    record_event(group.id, datetime.now(UTC), "before")
    snooze = new_snooze(
        group, until=None, count=None, window=None, user_count=2, user_window=None, actor_id=None
    )
    assert snooze.state.as_dict() == {"users_seen": 1}
    record_event(group.id, datetime.now(UTC), "new-1")
    assert not snooze_is_over(snooze, group)
    record_event(group.id, datetime.now(UTC), "new-2")
    assert snooze_is_over(snooze, group)


def test_escalation_compares_the_current_hour_with_todays_ceiling(group: Group) -> None:
    now = datetime.now(UTC)
    forecast = save_forecast(group, now)
    assert list(forecast.forecast) == [MINIMUM_CEILING] * 14
    assert not is_escalating(group, now)
    for _ in range(MINIMUM_CEILING):
        record_event(group.id, now, None)
    assert not is_escalating(group, now)
    record_event(group.id, now, None)
    assert is_escalating(group, now)


def test_forecast_learns_from_a_busy_past(group: Group) -> None:
    now = datetime.now(UTC)
    for _ in range(40):
        record_event(group.id, now - timedelta(hours=2), None)
    assert list(save_forecast(group, now).forecast) == [400] * 14
