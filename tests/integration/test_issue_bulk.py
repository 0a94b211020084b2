"""Bulk issue updates (organization and project endpoints), their selection rules, the number of
DynamoDB requests they cost, and concurrent single updates that must not lose each other's changes."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.metering import count_requests
from shared.auth.access import Principal, organization_access
from shared.auth.scopes import EVENT_WRITE
from shared.http.models.issues import IssueUpdateIn
from shared.issues import listing
from shared.issues.enums import ActivityType, GroupStatus, GroupSubStatus, PriorityLevel
from shared.issues.lookup import find_issue
from shared.issues.updates.selection import bulk_groups, request_scope
from shared.issues.updates.service import update_groups
from shared.projects.service import create_project
from shared.storage.dynamodb import max_transaction_items
from shared.storage.group_people import GroupAssignee, GroupBookmark, GroupSeen, GroupShare, GroupSubscription
from shared.storage.issues import Activity, GroupInbox
from tests.conftest import make_user
from tests.integration.test_issue_update import IssuesApi, activity_types, rows, stored


@pytest.fixture
def api(http, base_url, world) -> IssuesApi:
    return IssuesApi(http, base_url, world)


def test_bulk_by_ids_updates_listed_groups_only(api: IssuesApi) -> None:
    first, second, untouched = api.group("A"), api.group("B"), api.group("C")
    response = api.bulk(
        [("id", str(first.id)), ("id", str(second.id)), ("id", "987654321")], {"status": "resolved"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "resolved", "statusDetails": {}, "inbox": None}
    assert stored(first).status == stored(second).status == GroupStatus.RESOLVED
    assert stored(untouched).status == GroupStatus.UNRESOLVED
    assert activity_types(first) == activity_types(second) == [ActivityType.SET_RESOLVED]


def test_bulk_with_no_matching_id_is_204_and_never_searches(api: IssuesApi) -> None:
    group = api.group()
    response = api.bulk([("id", "987654321")], {"status": "resolved"})
    assert response.status_code == 204
    other_api_group = api.group("other")
    outsider, token = make_user()
    from shared.accounts.organizations import add_member, create_organization

    other_org = create_organization("Other", "other-" + str(outsider))
    add_member(other_org, outsider, "owner")
    hidden = api.http.put(
        f"{api.base_url}/api/0/organizations/{other_org.slug}/issues/",
        params=[("id", str(group.id))],
        json={"status": "resolved"},
        headers=api.world.headers(token),
    )
    assert hidden.status_code == 204
    assert stored(group).status == stored(other_api_group).status == GroupStatus.UNRESOLVED


def test_bulk_bad_ids_and_bodies_are_400(api: IssuesApi) -> None:
    group = api.group()
    response = api.bulk([("id", "abc")], {"status": "resolved"})
    assert response.status_code == 400 and response.json() == {"id": ["A valid integer is required."]}
    response = api.bulk([("id", str(group.id))], {"status": "nope"})
    assert response.status_code == 400
    response = api.bulk("query=is:whatever", {"status": "resolved"}, project=True)
    assert response.status_code == 400
    assert response.json()["detail"].startswith('Invalid value for "is" search, valid values are [')
    response = api.bulk("status=whatever", {"status": "resolved"}, project=True)
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid query. Error getting group ids and group list"}
    too_many = [("id", str(group.id))] + [("id", str(10**12 + n)) for n in range(1000)]
    response = api.bulk(too_many, {"status": "resolved"})
    assert response.status_code == 400
    assert response.json() == {"id": ["Ensure this field has no more than 1000 elements."]}
    assert stored(group).status == GroupStatus.UNRESOLVED


def test_project_bulk_by_status_and_without_filter(api: IssuesApi) -> None:
    ignored, unresolved = api.group("ignored"), api.group("unresolved")
    api.ok(ignored, {"status": "ignored"})
    response = api.bulk("status=muted", {"status": "unresolved", "snoozeDuration": None}, project=True)
    assert response.status_code == 200
    # one group matched: Sentry's single-group inference (first seen recently, so NEW)
    assert response.json()["status"] == "unresolved" and response.json()["substatus"] == "new"
    assert (stored(ignored).status, stored(ignored).substatus) == (GroupStatus.UNRESOLVED, GroupSubStatus.NEW)
    assert stored(unresolved).substatus == GroupSubStatus.NEW  # not selected by status=muted
    # no filter: the default search, every unresolved issue of the project
    response = api.bulk("", {"status": "muted", "snoozeDuration": None}, project=True)
    assert response.status_code == 200
    assert stored(ignored).status == stored(unresolved).status == GroupStatus.IGNORED


def test_bulk_search_is_capped(api: IssuesApi, monkeypatch: pytest.MonkeyPatch) -> None:
    """The handler's own steps, run here (the cap is patched in this process, not in the API's)."""
    groups = [api.group(f"G{i}") for i in range(3)]
    monkeypatch.setattr(listing, "BULK_MUTATION_LIMIT", 2)
    access = organization_access(Principal.acting_user(api.world.owner_id), api.world.org)
    scope = request_scope(access, EVENT_WRITE, api.world.project, [])
    outcome = update_groups(
        scope, bulk_groups(scope, [], None, None), IssueUpdateIn(priority="low").to_update()
    )
    assert outcome.status_code == 200
    priorities = sorted(stored(g).priority for g in groups)
    assert priorities == [PriorityLevel.LOW, PriorityLevel.LOW, PriorityLevel.HIGH]
    assert stored(groups[0]).priority == PriorityLevel.HIGH  # oldest last seen is left out


def test_org_bulk_across_projects_needs_the_feature(api: IssuesApi) -> None:
    access = organization_access(Principal.acting_user(api.world.owner_id), api.world.org)
    create_project(access, api.project.teams[0].slug, "Second")
    group = api.group()
    response = api.bulk([("id", str(group.id))], {"status": "resolved"})
    assert response.status_code == 400
    assert response.json() == {"detail": "You do not have the multi project stream feature enabled"}
    scoped = api.bulk([("id", str(group.id)), ("project", str(api.project.id))], {"status": "resolved"})
    assert scoped.status_code == 200 and stored(group).status == GroupStatus.RESOLVED


@pytest.mark.parametrize("size", [30, 120])
def test_bulk_writes_are_batched(api: IssuesApi, size: int) -> None:
    groups = [api.group(f"Batch {i}") for i in range(size)]
    params = [("id", str(g.id)) for g in groups]
    with count_requests() as calls:
        response = api.bulk(params, {"status": "resolved", "isBookmarked": True})
    assert response.status_code == 200, response.text
    # resolve = 5 transactional writes per group (status, inbox, activity, history, and the actor's
    # subscription on condition that none was written since the read): as many groups per
    # TransactWriteItems as the engine's largest transaction holds (20 on AWS); the bookmark =
    # 1 batched put per group, 25 per BatchWriteItem (the subscription moved into the transaction:
    # 100 writes per request instead of 25, so the total goes down)
    assert calls["TransactWriteItems"] == math.ceil(size / (max_transaction_items() // 5))
    assert calls["BatchWriteItem"] == math.ceil(size / 25)
    # groups read 100 per BatchGetItem, of their state only the rows the update decides on
    # (resolution and subscription: 2 keys each), 100 keys per BatchGetItem
    assert calls["BatchGetItem"] <= math.ceil(size / 100) + math.ceil(2 * size / 100)
    assert calls["UpdateItem"] == calls["PutItem"] == calls["DeleteItem"] == 0
    assert all(stored(g).status == GroupStatus.RESOLVED for g in groups)
    assert all(len(rows(g, GroupBookmark)) == 1 for g in groups[:3])


def test_concurrent_updates_of_different_attributes_all_land(api: IssuesApi) -> None:
    group = api.group()
    users = [api.member() for _ in range(5)]
    assignee_id = users[0][0]
    quiet_id, quiet_token = api.member()
    requests_ = [
        ({"priority": "low"}, None),
        ({"status": "ignored", "substatus": "archived_forever"}, None),
        ({"assignedTo": str(assignee_id)}, None),
        ({"isPublic": True}, None),
        ({"isSubscribed": False}, quiet_token),
    ]
    for _, token in users:
        requests_ += [
            ({"hasSeen": True}, token),
            ({"isBookmarked": True}, token),
            ({"isSubscribed": True}, token),
        ]
    assert len(requests_) == 20
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda r: api.put(group, r[0], r[1]), requests_))
    assert [r.status_code for r in responses] == [200] * 20, [
        r.text for r in responses if r.status_code != 200
    ]

    fresh = stored(group)
    assert fresh.priority == PriorityLevel.LOW
    assert (fresh.status, fresh.substatus) == (GroupStatus.IGNORED, GroupSubStatus.FOREVER)
    assert [a.user_id for a in rows(group, GroupAssignee)] == [assignee_id]
    assert len(rows(group, GroupShare)) == 1 and rows(group, GroupInbox) == []
    user_ids = {u for u, _ in users}
    assert {s.user_id for s in rows(group, GroupSeen)} == user_ids
    assert {b.user_id for b in rows(group, GroupBookmark)} == user_ids
    subscriptions = {s.user_id: s for s in rows(group, GroupSubscription)}
    assert all(subscriptions[u].is_active for u in user_ids)
    assert subscriptions[quiet_id].is_active is False
    types = [a.type for a in rows(group, Activity)]
    for expected in (
        ActivityType.SET_PRIORITY,
        ActivityType.SET_IGNORED,
        ActivityType.ASSIGNED,
        ActivityType.SET_PUBLIC,
    ):
        assert types.count(expected) == 1


def test_a_decision_made_on_a_stale_read_is_taken_again(
    api: IssuesApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent writer changes the status between the update's read and its write: the write is
    refused by its condition, the group is read again and the update decided on what is there now."""
    from shared.issues.updates import service as update_module

    group = api.group()
    real_load = update_module.load_states
    calls = {"n": 0}

    def load_then_race(groups, user_id, consistent=False, **kwargs):
        states = real_load(groups, user_id, consistent, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:  # someone ignores the group right after our first read
            stored(group).update(actions=group.status_actions(GroupStatus.IGNORED, GroupSubStatus.FOREVER))
        return states

    monkeypatch.setattr(update_module, "load_states", load_then_race)
    # the handler's own steps, run here: the patch reaches this process, not the API's
    scope, found = find_issue(Principal.acting_user(api.world.owner_id), str(group.id), None, EVENT_WRITE)
    assert update_groups(scope, [found], IssueUpdateIn(status="unresolved").to_update()).status_code == 200
    assert calls["n"] == 2
    body = api.get(group).json()
    # decided again from IGNORED: Sentry's unignore inference (recent group → NEW), logged once
    assert (body["status"], body["substatus"]) == ("unresolved", "new")
    assert activity_types(group) == [ActivityType.SET_UNRESOLVED]
