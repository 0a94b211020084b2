"""Sentry's project member index: the members of the project's teams, who the assignee picker
offers and who an issue of the project can be assigned to."""

from __future__ import annotations

import pytest

from shared.accounts.organizations import add_member
from shared.storage.accounts import User
from tests.conftest import make_user, make_world
from tests.integration.test_issue_update import IssuesApi


@pytest.fixture
def api(http, base_url, world) -> IssuesApi:
    return IssuesApi(http, base_url, world)


def _members(api: IssuesApi, token: str | None = None, project: str | None = None):
    return api.http.get(
        f"{api.base_url}/api/0/projects/{api.world.org}/{project or api.world.project}/members/",
        headers=api.world.headers(token),
    )


def test_members_of_the_projects_teams_are_listed_and_assignable(api: IssuesApi) -> None:
    colleague, _ = api.member()
    outsider, _ = api.member(join=False)  # in the organization, on none of the project's teams
    inactive, _ = api.member()
    User(*User.key(inactive)).update(actions=[User.is_active.set(False)])

    response = _members(api)

    assert response.status_code == 200, response.text
    listed = response.json()
    assert sorted(int(m["id"]) for m in listed) == sorted([api.world.owner_id, colleague])
    assert [m["email"] for m in listed] == sorted(m["email"] for m in listed)
    mine = next(m for m in listed if int(m["id"]) == api.world.owner_id)
    assert mine["role"] == "owner" and mine["user"]["id"] == str(api.world.owner_id)
    assert mine["user"]["email"] == mine["email"] and mine["pending"] is False
    # Whoever is listed can be assigned; whoever is not, cannot (the organization is not open).
    group = api.group()
    assert api.ok(group, {"assignedTo": f"user:{colleague}"})["assignedTo"]["id"] == str(colleague)
    refused = api.put(group, {"assignedTo": f"user:{outsider}"})
    assert refused.status_code == 400
    assert refused.json() == {"assignedTo": ["Cannot assign to non-team member"]}


def test_members_need_access_to_the_project(api: IssuesApi) -> None:
    missing = _members(api, project="no-such-project")
    assert missing.status_code == 404 and missing.json()["detail"]
    stranger = make_world()
    hidden = api.http.get(
        f"{api.base_url}/api/0/projects/{api.world.org}/{api.world.project}/members/",
        headers=stranger.headers(),
    )
    assert hidden.status_code in (403, 404) and hidden.json()["detail"]
    anonymous = api.http.get(f"{api.base_url}/api/0/projects/{api.world.org}/{api.world.project}/members/")
    assert anonymous.status_code == 401 and anonymous.json()["detail"]
    no_scope_id, no_scope_token = make_user(scopes={"org:read"})
    add_member(api.org, no_scope_id, "member")
    refused = _members(api, token=no_scope_token)
    assert refused.status_code == 403 and refused.json()["detail"]
