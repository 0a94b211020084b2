"""``PUT /api/0/issues/{id}/`` through the local API: each attribute of Sentry's update flow, the rows
it writes (resolution, snooze, forecast, assignee, subscriptions, inbox, activity, history) and the
400s that write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from shared.accounts.organizations import add_member, find_member, find_organization, join_team
from shared.accounts.teams import create_team
from shared.auth.access import Principal, organization_access
from shared.issues.enums import (
    ActivityType,
    GroupHistoryStatus,
    GroupInboxReason,
    GroupResolutionStatus,
    GroupResolutionType,
    GroupStatus,
    GroupSubscriptionReason,
    GroupSubStatus,
    PriorityLevel,
)
from shared.issues.events.counts import record_event
from shared.issues.events.forecast import MINIMUM_CEILING
from shared.issues.groups import create_group, get_group
from shared.storage.accounts import Project
from shared.storage.group_people import GroupAssignee, GroupBookmark, GroupSeen, GroupShare, GroupSubscription
from shared.storage.group_state import GroupForecast, GroupSnooze
from shared.storage.issues import (
    Activity,
    Group,
    GroupHistory,
    GroupInbox,
    GroupLink,
    GroupResolution,
    IssueItem,
    group_pk,
)
from tests.conftest import World, make_user, unique


class IssuesApi:
    """Small client for one world's issue endpoints, plus direct reads of the stored rows."""

    def __init__(self, http: requests.Session, base_url: str, world: World) -> None:
        self.http, self.world, self.base_url = http, world, base_url
        org = find_organization(world.org)
        assert org is not None
        self.org = org
        self.project = Project.get(*Project.key(org.id, world.project))

    def group(
        self, title: str = "ZeroDivisionError: division by zero", project: Project | None = None
    ) -> Group:
        return create_group(project or self.project, title, culprit="app.views in index")

    def url(self, group: Group | int | str) -> str:
        ident = group.id if isinstance(group, Group) else group
        return f"{self.base_url}/api/0/issues/{ident}/"

    def put(self, group: Group | int | str, body: dict, token: str | None = None) -> requests.Response:
        return self.http.put(self.url(group), json=body, headers=self.world.headers(token))

    def get(self, group: Group | int | str, token: str | None = None) -> requests.Response:
        return self.http.get(self.url(group), headers=self.world.headers(token))

    def ok(self, group: Group, body: dict, token: str | None = None) -> dict:
        response = self.put(group, body, token)
        assert response.status_code == 200, response.text
        return response.json()

    def bulk(
        self, params: list[tuple[str, str]] | str, body: dict, project: bool = False
    ) -> requests.Response:
        path = (
            f"projects/{self.world.org}/{self.world.project}"
            if project
            else f"organizations/{self.world.org}"
        )
        return self.http.put(
            f"{self.base_url}/api/0/{path}/issues/", params=params, json=body, headers=self.world.headers()
        )

    def release(self, version: str) -> None:
        response = self.http.post(
            f"{self.base_url}/api/0/organizations/{self.world.org}/releases/",
            json={"version": version, "projects": [self.world.project]},
            headers=self.world.headers(),
        )
        assert response.status_code in (201, 208), response.text

    def member(self, role: str = "member", join: bool = True) -> tuple[int, str]:
        user_id, token = make_user()
        add_member(self.org, user_id, role)
        if join:
            join_team(find_member(self.org.id, user_id), self.project.teams[0].id)
        return user_id, token


def rows(group: Group, kind: type[IssueItem]) -> list:
    return [r for r in IssueItem.query(group_pk(group.id), consistent_read=True) if isinstance(r, kind)]


def activity_types(group: Group) -> list[int]:
    return [a.type for a in rows(group, Activity)]


def history_statuses(group: Group) -> list[int]:
    return [h.status for h in rows(group, GroupHistory)]


def stored(group: Group) -> Group:
    fresh = get_group(group.id)
    assert fresh is not None
    return fresh


@pytest.fixture
def api(http, base_url, world) -> IssuesApi:
    return IssuesApi(http, base_url, world)


def test_get_issue_serializes_the_contract_fields(api: IssuesApi) -> None:
    group = api.group()
    response = api.get(group)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(group.id) and body["shortId"] == f"{api.project.slug.upper()}-1"
    assert (body["status"], body["substatus"], body["statusDetails"]) == ("unresolved", "new", {})
    assert (
        body["title"] == group.title and body["culprit"] == "app.views in index" and body["level"] == "error"
    )
    assert body["count"] == "1" and body["userCount"] == 0 and body["priority"] == "high"
    assert body["firstSeen"].endswith("Z") and body["lastSeen"] == body["firstSeen"]
    assert body["project"] == {
        "id": str(api.project.id),
        "name": api.project.name,
        "slug": api.project.slug,
        "platform": None,
    }
    assert body["inbox"]["reason"] == GroupInboxReason.NEW and body["inbox"]["reason_details"] is None
    assert body["assignedTo"] is None and body["isBookmarked"] is False and body["hasSeen"] is False
    assert body["isSubscribed"] is False and body["isPublic"] is False and body["shareId"] is None
    assert (body["numComments"], body["annotations"], body["issueCategory"], body["type"]) == (
        0,
        [],
        "error",
        "error",
    )
    assert body["permalink"].endswith(f"/organizations/{api.world.org}/issues/{group.id}/")
    by_short_id = api.http.get(
        f"{api.base_url}/api/0/organizations/{api.world.org}/issues/{body['shortId'].lower()}/",
        headers=api.world.headers(),
    )
    assert by_short_id.status_code == 200 and by_short_id.json()["id"] == body["id"]


def test_hidden_or_missing_issues_are_404(api: IssuesApi) -> None:
    group = api.group()
    _, token = make_user()
    assert api.get(group, token).status_code == 404
    assert api.put(group, {"status": "resolved"}, token).status_code == 404
    assert api.get(999_999_999).status_code == 404 and api.get("WEB-1").status_code == 404
    # a member of the organization without the project's team
    _, member_token = api.member(join=False)
    assert api.put(group, {"status": "resolved"}, member_token).status_code == 404
    reader, reader_token = make_user({"event:read", "org:read"})
    add_member(api.org, reader, "owner")
    assert api.get(group, reader_token).status_code == 200
    assert api.put(group, {"status": "resolved"}, reader_token).status_code == 403
    assert stored(group).status == GroupStatus.UNRESOLVED


def test_resolve_removes_from_inbox_and_subscribes(api: IssuesApi) -> None:
    group = api.group()
    body = api.ok(group, {"status": "resolved"})
    assert body["status"] == "resolved" and body["statusDetails"] == {} and body["inbox"] is None
    assert body["isSubscribed"] is True and body["subscriptionDetails"] == {"reason": "status_change"}
    fresh = stored(group)
    assert (fresh.status, fresh.substatus) == (GroupStatus.RESOLVED, None) and fresh.resolved_at is not None
    assert fresh.gsi1pk.endswith("#STATUS#1") and rows(group, GroupInbox) == []
    assert activity_types(group) == [ActivityType.SET_RESOLVED]
    assert history_statuses(group) == [GroupHistoryStatus.RESOLVED]
    # already resolved: skipped, nothing logged twice
    api.ok(group, {"status": "resolved"})
    assert activity_types(group) == [ActivityType.SET_RESOLVED]


def test_resolved_in_next_release_and_in_release(api: IssuesApi) -> None:
    group = api.group()
    missing = api.put(group, {"status": "resolved", "statusDetails": {"inNextRelease": True}})
    assert missing.status_code == 400
    assert missing.json() == {
        "statusDetails": {
            "inNextRelease": ["No release data present in the system to form a basis for 'Next Release'"]
        }
    }
    assert stored(group).status == GroupStatus.UNRESOLVED
    version = unique("app") + "@1.0.0"
    api.release(version)
    body = api.ok(group, {"status": "resolvedInNextRelease"})
    assert body["status"] == "resolved" and body["statusDetails"]["inNextRelease"] is True
    assert body["statusDetails"]["actor"]["id"] == str(api.world.owner_id)
    (resolution,) = rows(group, GroupResolution)
    assert (resolution.type, resolution.status) == (
        GroupResolutionType.IN_NEXT_RELEASE,
        GroupResolutionStatus.PENDING,
    )
    assert resolution.release_version == version and resolution.actor_id == api.world.owner_id
    (activity,) = rows(group, Activity)
    assert activity.type == ActivityType.SET_RESOLVED_IN_RELEASE and activity.data.as_dict() == {
        "version": ""
    }

    other = api.group("KeyError")
    unknown = api.put(other, {"status": "resolved", "statusDetails": {"inRelease": "nope"}})
    assert unknown.json() == {
        "statusDetails": {"inRelease": ["Unable to find a release with the given version."]}
    }
    body = api.ok(other, {"status": "resolved", "statusDetails": {"inRelease": "latest"}})
    assert body["statusDetails"]["inRelease"] == version
    (resolution,) = rows(other, GroupResolution)
    assert (resolution.type, resolution.status) == (
        GroupResolutionType.IN_RELEASE,
        GroupResolutionStatus.RESOLVED,
    )
    assert history_statuses(other) == [GroupHistoryStatus.SET_RESOLVED_IN_RELEASE]
    # unresolving clears the resolution and is a regression of a resolved group
    body = api.ok(other, {"status": "unresolved"})
    assert (body["status"], body["substatus"], body["statusDetails"]) == ("unresolved", "regressed", {})
    assert rows(other, GroupResolution) == []
    assert activity_types(other)[-1] == ActivityType.SET_UNRESOLVED


def test_resolved_in_next_release_of_a_semver_project_takes_the_greatest_version(api: IssuesApi) -> None:
    package = unique("pkg")
    for version in ("1.10.0", "1.9.0", "1.10.0-rc.1"):  # added last ≠ greatest
        api.release(f"{package}@{version}")
    group = api.group()
    api.ok(group, {"status": "resolvedInNextRelease"})
    (resolution,) = rows(group, GroupResolution)
    assert resolution.release_version == f"{package}@1.10.0"

    # statusDetails.inNextRelease is the validator's pick: the most recently added release
    other = api.group("KeyError")
    api.ok(other, {"status": "resolved", "statusDetails": {"inNextRelease": True}})
    (resolution,) = rows(other, GroupResolution)
    assert resolution.release_version == f"{package}@1.10.0-rc.1"


def test_resolved_in_commit(api: IssuesApi) -> None:
    repo = unique("acme/repo")
    shipped, dropped = "a" * 40, "d" * 40
    headers = api.world.headers()
    org_url = f"{api.base_url}/api/0/organizations/{api.world.org}"
    assert api.http.post(f"{org_url}/repos/", json={"name": repo}, headers=headers).status_code == 201
    version = unique("c")
    response = api.http.post(
        f"{org_url}/releases/",
        json={
            "version": version,
            "projects": [api.world.project],
            "commits": [{"id": dropped, "repository": repo}, {"id": shipped, "repository": repo}],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    # The release's log is replaced: ``dropped`` stays a stored commit but is in no release any more.
    replaced = api.http.put(
        f"{org_url}/releases/{version}/",
        json={"commits": [{"id": shipped, "repository": repo}]},
        headers=headers,
    )
    assert replaced.status_code == 200 and replaced.json()["commitCount"] == 1
    group = api.group()
    bad = api.put(
        group, {"status": "resolved", "statusDetails": {"inCommit": {"commit": "b" * 40, "repository": repo}}}
    )
    assert bad.json() == {"statusDetails": {"inCommit": {"commit": ["Unable to find the given commit."]}}}

    body = api.ok(
        group, {"status": "resolved", "statusDetails": {"inCommit": {"commit": dropped, "repository": repo}}}
    )
    assert body["status"] == "resolved"
    (link,) = rows(group, GroupLink)
    assert link.relationship == "resolves" and rows(group, GroupResolution) == []
    assert activity_types(group) == [ActivityType.SET_RESOLVED_IN_COMMIT]
    assert history_statuses(group) == [GroupHistoryStatus.SET_RESOLVED_IN_COMMIT]

    # A commit that shipped in a release of the project resolves the group in that release.
    shipped_group = api.group()
    body = api.ok(
        shipped_group,
        {"status": "resolved", "statusDetails": {"inCommit": {"commit": shipped, "repository": repo}}},
    )
    assert body["status"] == "resolved" and body["statusDetails"]["inRelease"] == version
    (resolution,) = rows(shipped_group, GroupResolution)
    assert (resolution.type, resolution.status, resolution.release_version) == (
        GroupResolutionType.IN_RELEASE,
        GroupResolutionStatus.RESOLVED,
        version,
    )
    assert activity_types(shipped_group) == [ActivityType.SET_RESOLVED_IN_COMMIT]
    assert history_statuses(shipped_group) == [GroupHistoryStatus.SET_RESOLVED_IN_COMMIT]


def test_snooze_duration_replaces_snooze_and_leaves_inbox(api: IssuesApi) -> None:
    group = api.group()
    api.ok(group, {"status": "resolved"})
    before = datetime.now(UTC)
    body = api.ok(group, {"status": "ignored", "ignoreDuration": 30})
    (snooze,) = rows(group, GroupSnooze)
    assert before + timedelta(minutes=29) < snooze.until < before + timedelta(minutes=31)
    assert body["status"] == "ignored" and body["substatus"] == "archived_until_condition_met"
    details = body["statusDetails"]
    assert details["ignoreUntil"] == snooze.until.isoformat().replace("+00:00", "Z")
    assert (details["ignoreCount"], details["ignoreWindow"], details["ignoreUserCount"]) == (None, None, None)
    assert details["actor"]["id"] == str(api.world.owner_id)
    assert activity_types(group)[-1] == ActivityType.SET_IGNORED
    assert history_statuses(group)[-1] == GroupHistoryStatus.ARCHIVED_UNTIL_CONDITION_MET

    body = api.ok(group, {"status": "ignored", "statusDetails": {"ignoreCount": 100, "ignoreWindow": 60}})
    (snooze,) = rows(group, GroupSnooze)
    assert (snooze.until, snooze.count, snooze.window) == (None, 100, 60)
    assert body["statusDetails"]["ignoreCount"] == 100 and body["statusDetails"]["ignoreWindow"] == 60
    body = api.ok(group, {"status": "muted", "ignoreUserCount": 5})
    (snooze,) = rows(group, GroupSnooze)
    assert snooze.user_count == 5 and snooze.state.as_dict() == {"users_seen": 0}
    # ignored forever: the snooze goes
    body = api.ok(group, {"status": "ignored", "substatus": "archived_forever"})
    assert (
        body["substatus"] == "archived_forever"
        and body["statusDetails"] == {}
        and rows(group, GroupSnooze) == []
    )


def test_legacy_snooze_duration_and_null_options(api: IssuesApi) -> None:
    group = api.group()
    body = api.ok(group, {"status": "muted", "snoozeDuration": 10, "ignoreCount": None})
    assert body["status"] == "ignored" and body["statusDetails"]["ignoreUntil"] is not None
    assert rows(group, GroupInbox) == []
    other = api.group("KeyError")
    body = api.ok(other, {"status": "muted", "snoozeDuration": None})
    assert (body["status"], body["substatus"]) == ("ignored", "archived_forever")


def test_archive_until_escalating_stores_forecast(api: IssuesApi) -> None:
    group = api.group()
    now = datetime.now(UTC)
    for hours in range(1, 40):
        for _ in range(1 + hours % 3):
            record_event(group.id, now - timedelta(hours=hours), None)
    quiet = api.group("Quiet")
    body = api.ok(group, {"status": "ignored", "substatus": "archived_until_escalating"})
    assert (body["status"], body["substatus"]) == ("ignored", "archived_until_escalating")
    assert body["statusDetails"] == {"ignoreUntilEscalating": True} and body["inbox"] is None
    (forecast,) = rows(group, GroupForecast)
    assert len(forecast.forecast) == 14 and all(v >= 1 for v in forecast.forecast)
    assert history_statuses(group) == [GroupHistoryStatus.ARCHIVED_UNTIL_ESCALATING]
    assert activity_types(group) == [ActivityType.SET_IGNORED]
    assert rows(group, Activity)[0].data.as_dict()["ignoreUntilEscalating"] is True
    # the legacy statusDetails flag means the same
    api.ok(quiet, {"status": "ignored", "statusDetails": {"ignoreUntilEscalating": True}})
    (forecast,) = rows(quiet, GroupForecast)
    assert forecast.forecast == [MINIMUM_CEILING] * 14
    assert stored(quiet).substatus == GroupSubStatus.UNTIL_ESCALATING


def test_unignore_infers_new_or_ongoing(api: IssuesApi) -> None:
    group = api.group()
    api.ok(group, {"status": "ignored"})
    body = api.ok(group, {"status": "unresolved"})
    assert (body["status"], body["substatus"]) == ("unresolved", "new")
    old = api.group("Old")
    old.update(actions=[Group.first_seen.set(datetime.now(UTC) - timedelta(days=8))])
    api.ok(old, {"status": "ignored"})
    assert api.ok(old, {"status": "unresolved"})["substatus"] == "ongoing"
    assert history_statuses(old) == [GroupHistoryStatus.ARCHIVED_FOREVER, GroupHistoryStatus.UNRESOLVED]


def test_assign_user_by_each_identifier_then_unassign(api: IssuesApi) -> None:
    group = api.group()
    user_id, _ = api.member()
    from shared.accounts.users import get_user

    user = get_user(user_id)
    expected = {"type": "user", "id": str(user_id), "name": user.username, "email": user.email}
    for value in (user.username, str(user_id), f"user:{user_id}", user.email):
        body = api.ok(group, {"assignedTo": value})
        assert body["assignedTo"] == expected
    assert activity_types(group) == [ActivityType.ASSIGNED]  # re-assigning the same user changes nothing
    (assignee,) = rows(group, GroupAssignee)
    assert assignee.user_id == user_id
    sub = GroupSubscription.get(*GroupSubscription.key(group.id, user_id))
    assert sub.is_active and sub.reason == GroupSubscriptionReason.ASSIGNED
    # an empty PUT keeps the assignee
    assert api.ok(group, {})["assignedTo"] == expected
    body = api.ok(group, {"assignedTo": ""})
    assert body["assignedTo"] is None and rows(group, GroupAssignee) == []
    assert activity_types(group) == [ActivityType.ASSIGNED, ActivityType.UNASSIGNED]
    assert history_statuses(group) == [GroupHistoryStatus.ASSIGNED, GroupHistoryStatus.UNASSIGNED]
    assert rows(group, GroupSubscription) == []


def test_assign_team_and_invalid_assignees(api: IssuesApi) -> None:
    group = api.group()
    team_id = api.project.teams[0].id
    body = api.ok(group, {"assignedTo": f"team:{team_id}"})
    assert body["assignedTo"] == {"type": "team", "id": str(team_id), "name": api.project.teams[0].slug}
    subscribers = {s.user_id for s in rows(group, GroupSubscription)}
    assert api.world.owner_id in subscribers
    access = organization_access(Principal.acting_user(api.world.owner_id), api.world.org)
    other_team = create_team(access, "Frontend", None)
    for value, message in (
        (f"team:{other_team.id}", "Cannot assign to a team without access to the project"),
        ("nobody-" + unique("x"), "Unable to resolve actor identifier"),
    ):
        response = api.put(group, {"assignedTo": value})
        assert response.status_code == 400 and response.json() == {"assignedTo": [message]}
    outsider_id, _ = api.member(join=False)
    response = api.put(group, {"assignedTo": str(outsider_id)})
    assert response.json() == {"assignedTo": ["Cannot assign to non-team member"]}
    assert rows(group, GroupAssignee)[0].team_id == team_id


def test_mark_reviewed_and_back_to_inbox(api: IssuesApi) -> None:
    group = api.group()
    body = api.ok(group, {"inbox": False})
    assert body["inbox"] is None and body["substatus"] == "ongoing"
    assert rows(group, GroupInbox) == []
    assert activity_types(group) == [ActivityType.MARK_REVIEWED, ActivityType.AUTO_SET_ONGOING]
    assert history_statuses(group) == [GroupHistoryStatus.REVIEWED]
    body = api.ok(group, {"inbox": True})
    assert body["inbox"]["reason"] == GroupInboxReason.MANUAL
    api.ok(group, {"inbox": False})
    assert activity_types(group).count(ActivityType.AUTO_SET_ONGOING) == 1


def test_flags_seen_bookmark_subscribe_public_priority(api: IssuesApi) -> None:
    group = api.group()
    body = api.ok(group, {"hasSeen": "1", "isBookmarked": True})
    assert body["hasSeen"] is True and body["isBookmarked"] is True and body["isSubscribed"] is True
    assert body["subscriptionDetails"] == {"reason": "bookmark"}
    assert len(rows(group, GroupSeen)) == 1 and len(rows(group, GroupBookmark)) == 1
    body = api.ok(group, {"hasSeen": "0", "isBookmarked": "false"})
    assert body["hasSeen"] is False and body["isBookmarked"] is False and body["isSubscribed"] is False
    assert rows(group, GroupSeen) == rows(group, GroupBookmark) == rows(group, GroupSubscription) == []
    body = api.ok(group, {"isSubscribed": False})
    assert body["isSubscribed"] is False and body["subscriptionDetails"] == {"disabled": True}
    assert api.ok(group, {"isSubscribed": "true"})["subscriptionDetails"] == {"reason": "unknown"}

    first = api.ok(group, {"isPublic": True})
    assert first["isPublic"] is True and len(first["shareId"]) == 32
    second = api.ok(group, {"isPublic": True})
    assert second["shareId"] != first["shareId"] and len(rows(group, GroupShare)) == 1
    assert api.ok(group, {"isPublic": False})["shareId"] is None and rows(group, GroupShare) == []
    assert activity_types(group) == [
        ActivityType.SET_PUBLIC,
        ActivityType.SET_PRIVATE,
        ActivityType.SET_PUBLIC,
        ActivityType.SET_PRIVATE,
    ]

    body = api.ok(group, {"priority": "low"})
    assert body["priority"] == "low" and body["priorityLockedAt"] is not None
    assert stored(group).priority == PriorityLevel.LOW
    assert history_statuses(group)[-1] == GroupHistoryStatus.PRIORITY_LOW


def test_invalid_bodies_are_400_and_write_nothing(api: IssuesApi) -> None:
    group = api.group()
    cases = [
        ({"status": "bogus"}, {"status": ['"bogus" is not a valid choice.']}),
        (
            {"status": "ignored", "substatus": "ongoing"},
            {"substatus": ["Invalid substatus ongoing for status ignored."]},
        ),
        ({"priority": "urgent"}, {"priority": ['"urgent" is not a valid choice.']}),
        ({"ignoreDuration": -1}, {"ignoreDuration": ["Ensure this value is greater than or equal to 0."]}),
        ({"ignoreWindow": 10081}, {"ignoreWindow": ["Ensure this value is less than or equal to 10080."]}),
        ({"hasSeen": "maybe"}, {"hasSeen": ["Must be a valid boolean."]}),
        ({"isPublic": None}, {"isPublic": ["This field may not be null."]}),
        (
            {"discard": True, "status": "resolved"},
            {"non_field_errors": ["Other attributes cannot be updated when discarding"]},
        ),
    ]
    for body, expected in cases:
        response = api.put(group, {**body, "isBookmarked": True})
        assert response.status_code == 400, (body, response.text)
        errors = response.json()
        for field, message in expected.items():
            assert errors[field] == message, (body, errors)
    writer, writer_token = make_user({"event:write", "event:read"})
    add_member(api.org, writer, "owner")
    response = api.put(group, {"discard": True}, writer_token)
    assert response.status_code == 400
    assert response.json() == {"discard": ["You do not have permission to discard events"]}
    fresh = stored(group)
    assert (fresh.status, fresh.priority) == (GroupStatus.UNRESOLVED, PriorityLevel.HIGH)
    assert rows(group, Activity) == [] and rows(group, GroupBookmark) == []
    assert api.put(group, {"unknownField": 1}).status_code == 200


def test_empty_or_non_object_bodies(api: IssuesApi) -> None:
    group = api.group()
    empty = api.http.put(api.url(group), headers=api.world.headers())
    assert empty.status_code == 200 and empty.json()["id"] == str(group.id)
    listed = api.put(group, [1, 2])  # type: ignore[arg-type]
    assert listed.status_code == 400


def test_seen_by_a_non_member_and_user_count(api: IssuesApi) -> None:
    group = api.group()
    manager, token = make_user()
    add_member(api.org, manager, "manager")  # sees every project without being in its team
    assert api.ok(group, {"hasSeen": True}, token)["hasSeen"] is False
    assert rows(group, GroupSeen) == []
    now = datetime.now(UTC)
    for user_hash in ("u1", "u2", "u1", None):
        record_event(group.id, now, user_hash)
    assert api.get(group).json()["userCount"] == 2
