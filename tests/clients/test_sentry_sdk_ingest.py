"""The real sentry-sdk against the local API: errors and messages become issues, grouped as Sentry
groups them, and events move issues through regression, snooze expiry, escalation and discard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import requests
import sentry_sdk

from shared.issues.enums import (
    ActivityType,
    GroupHistoryStatus,
    GroupInboxReason,
    GroupStatus,
    GroupSubStatus,
)
from shared.issues.events.counts import users_since
from shared.issues.status.release_resolution import resolve_groups_in_release
from shared.issues.status.snooze import new_snooze
from shared.storage.group_state import (
    GroupForecast,
    GroupHash,
    GroupHashRef,
    GroupHourlyCount,
    GroupHourlyUsers,
    GroupSnooze,
    GroupTombstone,
)
from shared.storage.issues import Activity, GroupHistory, GroupInbox, GroupResolution
from tests.conftest import World, events_processed
from tests.integration.test_ingest_api import (
    clear_of_hour_end,
    group_rows,
    project_dsn,
    project_groups,
    stored_group,
)


@contextmanager
def sdk(dsn: str, **options: Any) -> Iterator[None]:
    """A fresh SDK client for one block; leaving it flushes every event, closes the client and
    waits until the events are processed."""
    sentry_sdk.init(
        dsn=dsn,
        default_integrations=False,
        auto_enabling_integrations=False,
        send_client_reports=False,
        **options,
    )
    try:
        yield
    finally:
        sentry_sdk.flush(timeout=10)
        sentry_sdk.get_client().close()
        events_processed()


def _divide(a: int, b: int) -> float:
    return a / b


def _capture_division_error() -> str | None:
    try:
        _divide(1, 0)
    except ZeroDivisionError as error:
        return sentry_sdk.capture_exception(error)
    return None


def test_an_error_creates_an_issue_and_the_same_error_counts_on_it(base_url, world: World) -> None:
    dsn, project_id = project_dsn(base_url, world)
    clear_of_hour_end()
    with sdk(dsn, release=None, environment="test"):
        sentry_sdk.set_user({"id": "42"})
        first = _capture_division_error()
        second = _capture_division_error()
    assert first and second and first != second

    [group] = project_groups(project_id)
    assert group.title == "ZeroDivisionError: division by zero"
    assert group.culprit == "tests.clients.test_sentry_sdk_ingest in _divide"
    assert (group.status, group.substatus) == (GroupStatus.UNRESOLVED, GroupSubStatus.NEW)
    assert (group.times_seen, group.short_id, group.level) == (2, 1, "error")
    assert group.data.as_dict()["type"] == "error"
    assert group.data.as_dict()["metadata"]["type"] == "ZeroDivisionError"
    rows = group_rows(group)
    [inbox] = rows[GroupInbox]
    assert inbox.reason == GroupInboxReason.NEW
    [ref] = rows[GroupHashRef]
    stored_hash = GroupHash.get(*GroupHash.key(project_id, ref.hash))
    assert stored_hash.group_id == group.id and len(ref.hash) == 32
    assert rows[GroupHourlyCount] == []  # the group item counts its current hour itself
    assert rows[GroupHourlyUsers] == []  # the tag summary item holds its current hour's users
    assert group.current_hour_count == 2 and users_since(group.id, group.last_seen) == 1


def test_messages_group_by_message_and_fingerprints_override(base_url, http, world: World) -> None:
    dsn, project_id = project_dsn(base_url, world)
    with sdk(dsn, _experiments={"transport_compression_algo": "gzip"}):
        sentry_sdk.capture_message("cache warm-up took too long", level="warning")
        sentry_sdk.capture_message("cache warm-up took too long", level="warning")
        with sentry_sdk.new_scope() as scope:
            scope.fingerprint = ["{{ default }}"]  # the default grouping, spelled out
            sentry_sdk.capture_message("cache warm-up took too long", level="warning")
        with sentry_sdk.new_scope() as scope:
            scope.fingerprint = ["cache", "slow"]
            sentry_sdk.capture_message("cache warm-up took too long", level="warning")
            sentry_sdk.capture_message("a different text, same custom fingerprint")

    # Batches are processed concurrently, so either issue may be created (and numbered) first.
    groups = sorted(project_groups(project_id), key=lambda g: -g.times_seen)
    assert [(g.times_seen, g.level) for g in groups] == [(3, "warning"), (2, "info")]
    assert groups[0].title == "cache warm-up took too long" and groups[0].data.as_dict()["type"] == "default"
    # The newest event names the issue, as in Sentry.
    assert groups[1].title == "a different text, same custom fingerprint"
    shown = http.get(f"{base_url}/api/0/issues/{groups[0].id}/", headers=world.headers()).json()
    assert (shown["type"], shown["count"], shown["level"]) == ("default", "3", "warning")


def test_a_resolved_issue_regresses_only_for_a_newer_release(base_url, http, world: World) -> None:
    dsn, project_id = project_dsn(base_url, world)
    releases = f"{base_url}/api/0/organizations/{world.org}/releases/"
    for version in ("app@1.0", "app@2.0", "app@3.0"):
        created = http.post(
            releases, json={"version": version, "projects": [world.project]}, headers=world.headers()
        )
        assert created.status_code == 201, created.text
    with sdk(dsn, release="app@2.0"):
        _capture_division_error()
    [group] = project_groups(project_id)
    resolve_groups_in_release([group], "app@2.0", None)

    with sdk(dsn, release="app@1.0"):  # an old build still running: not a regression
        _capture_division_error()
    assert stored_group(group).status == GroupStatus.RESOLVED

    with sdk(dsn, release="app@3.0"):
        _capture_division_error()
    regressed = stored_group(group)
    assert (regressed.status, regressed.substatus) == (GroupStatus.UNRESOLVED, GroupSubStatus.REGRESSED)
    assert regressed.times_seen == 3
    rows = group_rows(group)
    assert rows[GroupInbox][0].reason == GroupInboxReason.REGRESSION
    assert rows[GroupResolution] == []  # a resolution holds for one release only
    [activity] = [a for a in rows[Activity] if a.type == ActivityType.SET_REGRESSION]
    assert activity.data.as_dict()["version"] == "app@3.0"
    assert activity.data.as_dict()["resolved_in_version"] == "app@2.0"
    assert [h.status for h in rows[GroupHistory]][-1] == GroupHistoryStatus.REGRESSED


def test_an_ignored_issue_comes_back_when_its_snooze_count_is_reached(base_url, world: World) -> None:
    dsn, project_id = project_dsn(base_url, world)
    with sdk(dsn):
        _capture_division_error()
    [group] = project_groups(project_id)
    group.update(actions=group.status_actions(GroupStatus.IGNORED, GroupSubStatus.UNTIL_CONDITION_MET))
    GroupInbox(*GroupInbox.key(group.id)).delete()
    new_snooze(
        group, until=None, count=2, window=None, user_count=None, user_window=None, actor_id=None
    ).save()

    with sdk(dsn):
        _capture_division_error()
    assert stored_group(group).status == GroupStatus.IGNORED  # one event of the two

    with sdk(dsn):
        _capture_division_error()
    back = stored_group(group)
    assert (back.status, back.substatus) == (GroupStatus.UNRESOLVED, GroupSubStatus.ONGOING)
    rows = group_rows(group)
    assert rows[GroupSnooze] == []
    [inbox] = rows[GroupInbox]
    assert inbox.reason == GroupInboxReason.UNIGNORED and inbox.reason_details.as_dict() == {"count": 2}
    assert [a.type for a in rows[Activity]] == [ActivityType.SET_UNRESOLVED]
    assert [h.status for h in rows[GroupHistory]] == [GroupHistoryStatus.UNIGNORED]


def test_an_archived_issue_escalates_when_this_hour_beats_its_forecast(base_url, world: World) -> None:
    dsn, project_id = project_dsn(base_url, world)
    clear_of_hour_end(60)
    with sdk(dsn):
        _capture_division_error()
    [group] = project_groups(project_id)
    group.update(actions=group.status_actions(GroupStatus.IGNORED, GroupSubStatus.UNTIL_ESCALATING))
    GroupInbox(*GroupInbox.key(group.id)).delete()
    now = datetime.now(UTC)
    forecast = GroupForecast(*GroupForecast.key(group.id), forecast=[3] * 14, date_added=now)
    forecast.save()

    with sdk(dsn):
        _capture_division_error()
        _capture_division_error()  # 3 events this hour: not above the ceiling of 3
    assert stored_group(group).status == GroupStatus.IGNORED

    with sdk(dsn):
        _capture_division_error()
    escalated = stored_group(group)
    assert (escalated.status, escalated.substatus) == (GroupStatus.UNRESOLVED, GroupSubStatus.ESCALATING)
    rows = group_rows(group)
    assert rows[GroupInbox][0].reason == GroupInboxReason.ESCALATING
    [activity] = rows[Activity]
    assert activity.type == ActivityType.SET_ESCALATING and activity.data.as_dict()["forecast"] == 3
    assert [h.status for h in rows[GroupHistory]] == [GroupHistoryStatus.ESCALATING]


def test_events_of_a_discarded_issue_are_dropped_and_counted(base_url, world: World) -> None:
    dsn, project_id = project_dsn(base_url, world)
    with sdk(dsn):
        _capture_division_error()
    [group] = project_groups(project_id)
    [ref] = group_rows(group)[GroupHashRef]
    tombstone = GroupTombstone(
        *GroupTombstone.key(group.id),
        id=group.id,
        previous_group_id=group.id,
        project_id=project_id,
        level="error",
        message=group.title,
    )
    tombstone.save()
    GroupHash(*GroupHash.key(project_id, ref.hash)).update(
        actions=[GroupHash.group_id.remove(), GroupHash.tombstone_id.set(tombstone.id)]
    )

    with sdk(dsn):
        _capture_division_error()
        _capture_division_error()
    assert [g.id for g in project_groups(project_id)] == [group.id]
    assert stored_group(group).times_seen == 1
    assert GroupTombstone.get(*GroupTombstone.key(group.id)).times_discarded == 2


def test_an_unknown_dsn_key_stores_nothing(base_url, world: World) -> None:
    dsn, project_id = project_dsn(base_url, world)
    public = dsn.split("//", 1)[1].split("@", 1)[0]
    with sdk(dsn.replace(public, "0" * 32)):
        _capture_division_error()
    assert project_groups(project_id) == []
    response = requests.post(
        f"{base_url}/api/{project_id}/envelope/",
        data=b'{}\n{"type":"event"}\n{}\n',
        headers={"X-Sentry-Auth": f"Sentry sentry_key={'0' * 32}, sentry_version=7"},
    )
    assert response.status_code == 401
