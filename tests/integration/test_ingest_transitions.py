"""The ingestion pipeline on the moto server, below HTTP: which group an event lands on when its
hash is unlinked, tombstoned or merged, and the transitions it causes (regression by release order,
snooze expiry by time, count and users, escalation), including concurrent events."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests

from shared.ingest.event import Event, normalize_event
from shared.ingest.pipeline import Outcome, process_event
from shared.issues.enums import (
    ActivityType,
    GroupInboxReason,
    GroupResolutionStatus,
    GroupResolutionType,
    GroupStatus,
    GroupSubStatus,
)
from shared.issues.events.counts import record_events
from shared.issues.events.forecast import save_forecast
from shared.issues.status.snooze import new_snooze
from shared.projects.keys import list_project_keys
from shared.storage.accounts import Project, ProjectKey
from shared.storage.base import utcnow
from shared.storage.group_state import GroupHash, GroupTombstone
from shared.storage.issues import Activity, Group, GroupInbox, GroupResolution
from tests.conftest import World
from tests.integration.test_ingest_api import clear_of_hour_end, group_rows, stored_group


@pytest.fixture
def key(project: Project) -> ProjectKey:
    return list_project_keys(project)[0]


def _event(release: str | None = None, user: str | None = None, **fields: Any) -> Event:
    payload: dict[str, Any] = {
        "exception": {
            "values": [
                {
                    "type": "OSError",
                    "value": "disk",
                    "stacktrace": {"frames": [{"module": "jobs.backup", "function": "run", "in_app": True}]},
                }
            ]
        },
        "release": release,
        **fields,
    }
    if user:
        payload["user"] = {"id": user}
    return normalize_event(payload, utcnow())


def _send(key: ProjectKey, count: int = 1, **fields: Any) -> list[Outcome]:
    return [process_event(key, _event(**fields)) for _ in range(count)]


def _group(group_id: int | None) -> Group:
    assert group_id is not None
    return Group.get(*Group.key(group_id), consistent_read=True)


def _set_state(group: Group, status: GroupStatus, substatus: GroupSubStatus | None) -> Group:
    group.update(actions=group.status_actions(status, substatus))
    GroupInbox(*GroupInbox.key(group.id)).delete()
    return group


def _resolve(group: Group, version: str, type_: GroupResolutionType) -> None:
    _set_state(group, GroupStatus.RESOLVED, None)
    status = (
        GroupResolutionStatus.RESOLVED
        if type_ == GroupResolutionType.IN_RELEASE
        else GroupResolutionStatus.PENDING
    )
    GroupResolution(
        *GroupResolution.key(group.id), type=int(type_), status=int(status), release_version=version
    ).save()


def _releases(base_url: str, world: World, *versions: str) -> None:
    """Releases created in this order (their ``date_added`` orders them)."""
    for version in versions:
        response = requests.post(
            f"{base_url}/api/0/organizations/{world.org}/releases/",
            json={"version": version, "projects": [world.project]},
            headers=world.headers(),
        )
        assert response.status_code == 201, response.text


def test_in_next_release_covers_that_release_and_older_ones(base_url, world: World, key: ProjectKey) -> None:
    _releases(base_url, world, "r1", "r2", "r3")
    [first] = _send(key, release="r2")
    group = _group(first.group_id)
    _resolve(group, "r2", GroupResolutionType.IN_NEXT_RELEASE)

    assert [o.transition for o in _send(key, release="r1") + _send(key, release="r2")] == [None, None]
    assert [o.transition for o in _send(key)] == [None]  # no release: an old build
    assert stored_group(group).status == GroupStatus.RESOLVED
    assert [o.transition for o in _send(key, release="unknown-new-build")] == ["regressed"]
    assert stored_group(group).substatus == GroupSubStatus.REGRESSED


def test_in_release_regresses_for_that_release_and_newer(base_url, world: World, key: ProjectKey) -> None:
    _releases(base_url, world, "a1", "a2")
    [first] = _send(key, release="a1")
    group = _group(first.group_id)
    _resolve(group, "a2", GroupResolutionType.IN_RELEASE)
    assert _send(key, release="a1")[0].transition is None
    assert _send(key, release="a2")[0].transition == "regressed"


def test_semver_projects_compare_versions_not_dates(base_url, world: World, key: ProjectKey) -> None:
    # 1.5.0 is added last (newest by date) but is the oldest version; the project follows semver.
    _releases(base_url, world, "app@2.0.0", "app@1.5.0")
    [first] = _send(key, release="app@2.0.0")
    group = _group(first.group_id)
    _resolve(group, "app@2.0.0", GroupResolutionType.IN_RELEASE)

    assert _send(key, release="app@1.5.0")[0].transition is None
    assert _send(key, release="app@2.0.1-rc.1")[0].transition == "regressed"  # not stored, still comparable
    [activity] = group_rows(group)[Activity]
    assert activity.data.as_dict()["follows_semver"] is True


def test_concurrent_events_regress_a_group_once(project: Project, key: ProjectKey) -> None:
    [first] = _send(key)
    group = _group(first.group_id)
    _set_state(group, GroupStatus.RESOLVED, None)  # resolved now, without a release: any event regresses
    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(lambda _: process_event(key, _event()), range(6)))
    assert [o.transition for o in outcomes].count("regressed") == 1
    rows = group_rows(group)
    assert [a.type for a in rows[Activity]] == [ActivityType.SET_REGRESSION]
    assert stored_group(group).times_seen == 7


def test_snooze_until_a_time_ends_with_the_first_event_after_it(project: Project, key: ProjectKey) -> None:
    [first] = _send(key)
    group = _set_state(
        _group(first.group_id),
        GroupStatus.IGNORED,
        GroupSubStatus.UNTIL_CONDITION_MET,
    )
    snooze = new_snooze(
        group,
        until=utcnow() + timedelta(minutes=30),
        count=None,
        window=None,
        user_count=None,
        user_window=None,
        actor_id=None,
    )
    snooze.save()
    assert _send(key)[0].transition is None
    snooze.update(actions=[type(snooze).until.set(utcnow() - timedelta(seconds=1))])
    assert _send(key)[0].transition == "unignored"
    inbox = group_rows(group)[GroupInbox][0]
    assert inbox.reason == GroupInboxReason.UNIGNORED and "until" in inbox.reason_details.as_dict()


def test_snooze_by_users_in_a_window(project: Project, key: ProjectKey) -> None:
    [first] = _send(key, user="u0")
    group = _set_state(
        _group(first.group_id),
        GroupStatus.IGNORED,
        GroupSubStatus.UNTIL_CONDITION_MET,
    )
    new_snooze(group, until=None, count=None, window=None, user_count=3, user_window=60, actor_id=None).save()
    # u0 already counts in this hour; u1 makes 2 distinct users, a repeat of u1 still 2, u2 makes 3
    assert [o.transition for o in _send(key, user="u1") + _send(key, user="u1")] == [None, None]
    assert _send(key, user="u2")[0].transition == "unignored"
    assert (stored_group(group).status, stored_group(group).substatus) == (
        GroupStatus.UNRESOLVED,
        GroupSubStatus.ONGOING,
    )


def test_ignored_forever_stays_ignored(project: Project, key: ProjectKey) -> None:
    [first] = _send(key)
    group = _set_state(_group(first.group_id), GroupStatus.IGNORED, GroupSubStatus.FOREVER)
    assert [o.transition for o in _send(key, 3)] == [None, None, None]
    assert stored_group(group).status == GroupStatus.IGNORED and stored_group(group).times_seen == 4


def test_escalation_against_the_saved_forecast(project: Project, key: ProjectKey) -> None:
    clear_of_hour_end()
    [first] = _send(key)
    group = _set_state(_group(first.group_id), GroupStatus.IGNORED, GroupSubStatus.UNTIL_ESCALATING)
    save_forecast(group)  # one event in the past week: Sentry's minimum ceiling, 200
    record_events(group.id, utcnow(), 198, [])  # 199 events this hour, as if they had come
    assert _send(key)[0].transition is None  # 200: not above
    assert _send(key)[0].transition == "escalated"  # 201
    assert stored_group(group).substatus == GroupSubStatus.ESCALATING


def test_unlinked_and_deleted_groups_make_way_for_a_new_group(project: Project, key: ProjectKey) -> None:
    [first] = _send(key)
    old = _group(first.group_id)
    old.update(actions=old.status_actions(GroupStatus.PENDING_DELETION, None))  # hash still linked
    [second] = _send(key)
    assert second.is_new and second.group_id != first.group_id
    GroupHash(*GroupHash.key(project.id, second.hash)).update(actions=[GroupHash.group_id.remove()])
    [third] = _send(key)  # unlinked, as deletion leaves it
    assert third.is_new and third.group_id not in (first.group_id, second.group_id)
    assert GroupHash.get(*GroupHash.key(project.id, third.hash)).group_id == third.group_id


def test_events_of_a_merged_group_land_on_its_parent(project: Project, key: ProjectKey) -> None:
    [child_event] = _send(key)
    [parent_event] = _send(key, message="x", fingerprint=["parent"])
    child = _group(child_event.group_id)
    child.update(
        actions=[
            *child.status_actions(GroupStatus.PENDING_MERGE, None),
            Group.merged_into.set(parent_event.group_id),
        ]
    )
    [outcome] = _send(key)
    assert outcome.group_id == parent_event.group_id and not outcome.is_new
    assert stored_group(child).times_seen == 1


def test_a_tombstoned_hash_drops_events_and_creates_nothing(project: Project, key: ProjectKey) -> None:
    [first] = _send(key)
    GroupTombstone(
        *GroupTombstone.key(first.group_id),
        id=first.group_id,
        previous_group_id=first.group_id,
        project_id=project.id,
        level="error",
        message="OSError: disk",
    ).save()
    GroupHash(*GroupHash.key(project.id, first.hash)).update(
        actions=[GroupHash.group_id.remove(), GroupHash.tombstone_id.set(first.group_id)]
    )
    outcomes = _send(key, 3)
    assert all(o.discarded and o.group_id is None for o in outcomes)
    assert GroupTombstone.get(*GroupTombstone.key(first.group_id)).times_discarded == 3
    assert GroupHash.get(*GroupHash.key(project.id, first.hash)).group_id is None
