"""Subscriptions that follow team assignment (Sentry's TestHandleAssignedTo): unassigning a team
drops its members' "assigned" subscriptions; reassigning moves them."""

from __future__ import annotations

import pytest

from local.metering import count_requests
from shared.issues.enums import GroupSubscriptionReason
from shared.storage.group_people import GroupSubscription
from tests.integration.test_issue_update import IssuesApi, rows

ASSIGNED = GroupSubscriptionReason.ASSIGNED


@pytest.fixture
def api(http, base_url, world) -> IssuesApi:
    return IssuesApi(http, base_url, world)


def _subscribers(group) -> dict[int, int]:
    return {s.user_id: s.reason for s in rows(group, GroupSubscription) if s.is_active}


def test_unassigning_a_team_drops_its_members_assigned_subscriptions(api: IssuesApi) -> None:
    group = api.group()
    team_id = api.project.teams[0].id
    member_id, _ = api.member()
    api.ok(group, {"assignedTo": f"team:{team_id}"})
    assert _subscribers(group) == {member_id: ASSIGNED, api.world.owner_id: ASSIGNED}

    with count_requests() as calls:
        assert api.ok(group, {"assignedTo": ""})["assignedTo"] is None
    # the group's one transaction, then both members' subscriptions removed in one BatchWriteItem
    assert calls["TransactWriteItems"] == 1 and calls["BatchWriteItem"] == 1, calls
    assert _subscribers(group) == {}


def test_reassigning_moves_the_subscriptions(api: IssuesApi) -> None:
    group = api.group()
    team_id = api.project.teams[0].id
    member_id, _ = api.member()
    api.ok(group, {"assignedTo": f"team:{team_id}"})
    assert set(_subscribers(group)) == {api.world.owner_id, member_id}
    # team → one of its members: only that user's subscription stays
    api.ok(group, {"assignedTo": str(member_id)})
    assert _subscribers(group) == {member_id: ASSIGNED}
    # back to the team: both members again
    api.ok(group, {"assignedTo": f"team:{team_id}"})
    assert _subscribers(group) == {member_id: ASSIGNED, api.world.owner_id: ASSIGNED}
    # team → the owner: the other member's subscription goes
    api.ok(group, {"assignedTo": str(api.world.owner_id)})
    assert _subscribers(group) == {api.world.owner_id: ASSIGNED}
