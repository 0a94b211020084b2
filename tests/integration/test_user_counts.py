"""Distinct users per group and hour: bounded items, concurrent merges, readers across hours."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from local.metering import count_requests
from shared.accounts.organizations import find_organization
from shared.issues.events.counts import recent_counts, record_events, users_seen, users_since
from shared.issues.events.user_sketch import STANDARD_ERROR, UserSketch
from shared.issues.groups import create_group
from shared.storage.accounts import Project
from shared.storage.group_state import GroupHourlyCount, GroupHourlyUsers, hour_bucket
from shared.storage.issues import Group, IssueItem, group_pk
from tests.conftest import World

ITEM_LIMIT = 16 * 1024


@pytest.fixture
def group(world: World) -> Group:
    org = find_organization(world.org)
    return create_group(Project.get(*Project.key(org.id, world.project)), "ValueError: storm")


def _users(start: int, stop: int) -> list[str]:
    return [f"user-{n}" for n in range(start, stop)]


def _item_size(item: dict[str, dict[str, object]]) -> int:
    """DynamoDB's item size: attribute names plus values (strings and binaries by their bytes)."""
    size = 0
    for name, value in item.items():
        ((kind, raw),) = value.items()
        size += len(name.encode()) + (len(raw) if kind == "B" else len(str(raw).encode()))
    return size


def test_an_hour_of_100000_users_keeps_every_item_of_the_issue_small(group: Group) -> None:
    now = datetime.now(UTC)
    for start in range(0, 100_000, 20_000):
        record_events(group.id, now, 20_000, _users(start, start + 20_000))
    client = IssueItem._get_connection().connection.client
    items = client.query(
        TableName=IssueItem.Meta.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": group_pk(group.id)}},
        ConsistentRead=True,
    )["Items"]
    assert len(items) >= 3 and max(_item_size(item) for item in items) < ITEM_LIMIT
    assert GroupHourlyCount.get(*GroupHourlyCount.key(group.id, hour_bucket(now))).count == 100_000
    assert abs(users_since(group.id, now - timedelta(minutes=1)) - 100_000) <= 3 * STANDARD_ERROR * 100_000


def test_hours_merge_without_counting_a_user_twice(group: Group) -> None:
    now = datetime.now(UTC)
    record_events(group.id, now - timedelta(hours=2), 3_000, _users(0, 3_000))
    record_events(group.id, now, 3_000, _users(1_500, 4_500))
    record_events(group.id, now, 2, ["late-1", "late-2"])
    expected = UserSketch.of([*_users(0, 4500), "late-1", "late-2"]).count()
    assert users_seen(group.id) == expected
    assert abs(expected - 4_502) <= 3 * STANDARD_ERROR * 4_502
    assert recent_counts(group).users_seen == expected
    assert (
        users_since(group.id, now - timedelta(minutes=5))
        == UserSketch.of([*_users(1500, 4500), "late-1", "late-2"]).count()
    )


def test_a_batch_of_known_users_does_not_rewrite_the_sketch(group: Group) -> None:
    now = datetime.now(UTC)
    record_events(group.id, now, 500, _users(0, 500))
    with count_requests() as requests:
        record_events(group.id, now, 300, _users(100, 400))
    assert requests == {"UpdateItem": 1, "GetItem": 1}
    with count_requests() as requests:
        record_events(group.id, now, 5, [])
    assert requests == {"UpdateItem": 1}
    assert GroupHourlyCount.get(*GroupHourlyCount.key(group.id, hour_bucket(now))).count == 805


@pytest.mark.parametrize("per_writer", [10, 2_000])  # exact form, then HyperLogLog registers
def test_concurrent_merges_lose_nobody_and_count_nobody_twice(group: Group, per_writer: int) -> None:
    now = datetime.now(UTC)
    writers = 8

    def write(n: int) -> None:
        for part in range(2):  # each writer merges twice, its second batch half known already
            users = _users(n * per_writer, (n + 1) * per_writer)
            record_events(group.id, now, per_writer, users[: per_writer // 2 * (part + 1)])

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))
    stored = GroupHourlyUsers.get(*GroupHourlyUsers.key(group.id, hour_bucket(now)), consistent_read=True)
    union = UserSketch.of(_users(0, writers * per_writer))
    assert UserSketch.from_bytes(stored.sketch) == union  # every writer's users, each once
    assert (
        GroupHourlyCount.get(*GroupHourlyCount.key(group.id, hour_bucket(now))).count
        == 2 * writers * per_writer
    )
    if per_writer == 10:
        assert users_seen(group.id) == writers * per_writer


def test_the_newest_hour_of_users_rides_on_the_tag_summary_and_moves_to_its_row_when_the_hour_turns(
    group: Group,
) -> None:
    from shared.storage.group_tags import GroupTags
    from shared.tags.store import record_tags

    now = datetime.now(UTC)
    before, hour = now - timedelta(hours=2), now - timedelta(hours=1)
    record_tags(group.id, [], {hour_bucket(hour): _users(0, 3)})
    item = GroupTags.get(*GroupTags.key(group.id), consistent_read=True)
    assert item.users_hour == hour_bucket(hour)
    assert _user_rows(group) == {}  # one item: the summary carries the hour's users
    assert users_since(group.id, hour) == 3
    with count_requests() as calls:  # one read, one conditional write
        record_tags(group.id, [], {hour_bucket(hour): _users(2, 5)})
    assert (calls["GetItem"], calls["PutItem"]) == (1, 1)
    assert users_since(group.id, hour) == 5
    # the next hour: the held hour's sketch goes to its row before the item takes the new hour
    record_tags(group.id, [], {hour_bucket(now): _users(4, 6)})
    item = GroupTags.get(*GroupTags.key(group.id), consistent_read=True)
    assert item.users_hour == hour_bucket(now)
    assert _user_rows(group) == {hour_bucket(hour): 5}
    assert (users_since(group.id, hour), users_since(group.id, now), users_seen(group.id)) == (6, 2, 6)
    # a late batch of an older hour goes to that hour's row; the item keeps the newest
    record_tags(group.id, [], {hour_bucket(before): _users(10, 12), hour_bucket(hour): _users(20, 21)})
    assert _user_rows(group) == {hour_bucket(before): 2, hour_bucket(hour): 6}
    assert GroupTags.get(*GroupTags.key(group.id), consistent_read=True).users_hour == hour_bucket(now)
    assert users_seen(group.id) == 9
    counts = recent_counts(Group.get(*Group.key(group.id), consistent_read=True))
    assert (counts.users_seen, counts.users_since(now)) == (9, 2)


def _user_rows(group: Group) -> dict[str, int]:
    rows = GroupHourlyUsers.query(
        group_pk(group.id), GroupHourlyUsers.sk.startswith("HOUR#"), consistent_read=True
    )
    return {
        row.hour: UserSketch.from_bytes(row.sketch).count()
        for row in rows
        if isinstance(row, GroupHourlyUsers)
    }
