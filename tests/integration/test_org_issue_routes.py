"""Issues addressed within an organization: ``/organizations/{org}/issues/{id or short id}/`` (GET,
PUT, DELETE) and the short-id lookup ``/organizations/{org}/shortids/{short id}/``."""

from __future__ import annotations

import pytest

from shared.accounts.organizations import add_member, find_member, join_team
from shared.issues.enums import GroupStatus
from shared.storage.issues import Group
from tests.conftest import make_user
from tests.integration.test_issue_update import IssuesApi


@pytest.fixture
def api(http, base_url, world) -> IssuesApi:
    return IssuesApi(http, base_url, world)


def _org_url(api: IssuesApi, ident: str | int) -> str:
    return f"{api.base_url}/api/0/organizations/{api.world.org}/issues/{ident}/"


def _stored(group: Group) -> Group:
    return Group.get(*Group.key(group.id), consistent_read=True)


def test_get_and_put_by_id_and_by_short_id(api: IssuesApi) -> None:
    group = api.group()
    short_id = api.get(group).json()["shortId"]
    for ident in (group.id, short_id, short_id.lower()):
        shown = api.http.get(_org_url(api, ident), headers=api.world.headers())
        assert shown.status_code == 200 and shown.json()["id"] == str(group.id)
    updated = api.http.put(_org_url(api, short_id), json={"status": "resolved"}, headers=api.world.headers())
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "resolved" and updated.json()["shortId"] == short_id
    assert _stored(group).status == GroupStatus.RESOLVED
    bad = api.http.put(_org_url(api, group.id), json={"status": "sideways"}, headers=api.world.headers())
    assert bad.status_code == 400 and "status" in bad.json()
    assert _stored(group).status == GroupStatus.RESOLVED


def test_unknown_or_foreign_issues_are_404(api: IssuesApi, http, base_url) -> None:
    group = api.group()
    for ident in ("WEB-ZZZZ", "999999999999", "no-dash"):
        for method in ("get", "put", "delete"):
            response = getattr(api.http, method)(_org_url(api, ident), headers=api.world.headers())
            assert response.status_code == 404, (ident, method)
            assert response.json() == {"detail": "The requested resource does not exist"}
    # another organization's caller cannot reach it through their own organization either
    _, stranger = make_user()
    foreign = api.http.get(_org_url(api, group.id), headers=api.world.headers(stranger))
    assert foreign.status_code == 404


def test_delete_by_short_id_needs_admin(api: IssuesApi) -> None:
    group = api.group()
    short_id = api.get(group).json()["shortId"]
    member_id, member_token = make_user({"event:read", "event:write", "org:read", "project:read"})
    add_member(api.org, member_id, "member")
    join_team(find_member(api.org.id, member_id), api.project.teams[0].id)
    refused = api.http.delete(_org_url(api, short_id), headers=api.world.headers(member_token))
    assert refused.status_code == 403 and _stored(group).status == GroupStatus.UNRESOLVED
    deleted = api.http.delete(_org_url(api, short_id), headers=api.world.headers())
    assert deleted.status_code == 202
    assert _stored(group).status == GroupStatus.PENDING_DELETION
    assert api.http.get(_org_url(api, short_id), headers=api.world.headers()).status_code == 404


def test_short_id_lookup(api: IssuesApi) -> None:
    group = api.group()
    short_id = api.get(group).json()["shortId"]
    url = f"{api.base_url}/api/0/organizations/{api.world.org}/shortids/{short_id.lower()}/"
    found = api.http.get(url, headers=api.world.headers())
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["organizationSlug"] == api.world.org and body["projectSlug"] == api.world.project
    assert body["groupId"] == str(group.id) and body["shortId"] == short_id
    assert body["group"]["id"] == str(group.id) and body["group"]["title"] == group.title
    missing = api.http.get(url.replace(short_id.lower(), "web-zzzz"), headers=api.world.headers())
    assert missing.status_code == 404 and missing.json() == {
        "detail": "The requested resource does not exist"
    }
