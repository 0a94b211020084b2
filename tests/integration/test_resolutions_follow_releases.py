"""Resolutions that follow releases and commits, through HTTP: a pending "next release" resolution
settled by the next release, "resolved in commit" applied when a release ships the commit, and the
regressions each allows."""

from __future__ import annotations

import pytest
import requests

from shared.issues.enums import ActivityType, GroupResolutionStatus, GroupResolutionType, GroupStatus
from shared.storage.issues import Activity, Group, GroupResolution
from tests.conftest import World, unique
from tests.integration.test_ingest_api import _auth, _event, _public_key, project_dsn


class Flow:
    """One world's releases, events and issue updates over HTTP."""

    def __init__(self, http: requests.Session, base_url: str, world: World) -> None:
        self.http, self.base_url, self.world = http, base_url, world
        self.org_url = f"{base_url}/api/0/organizations/{world.org}"
        dsn, project_id = project_dsn(base_url, world)
        self.store_url = f"{base_url}/api/{project_id}/store/"
        self.auth = _auth(_public_key(dsn))

    def release(self, version: str, **body) -> dict:
        payload = {"version": version, "projects": [self.world.project], **body}
        response = self.http.post(f"{self.org_url}/releases/", json=payload, headers=self.world.headers())
        assert response.status_code in (201, 208), response.text
        return response.json()

    def put_release(self, version: str, body: dict) -> dict:
        response = self.http.put(
            f"{self.org_url}/releases/{version}/", json=body, headers=self.world.headers()
        )
        assert response.status_code == 200, response.text
        return response.json()

    def event(self, title: str, release: str | None = None) -> int:
        event = _event(release=release, message=title, exception=None)
        event["exception"] = {"values": [{"type": title, "value": "x"}]}
        response = self.http.post(self.store_url, json=event, headers=self.auth)
        assert response.ok, response.text
        return int(self.issue_of(title)["id"])

    def issue_of(self, title: str) -> dict:
        found = self.http.get(
            f"{self.base_url}/api/0/projects/{self.world.org}/{self.world.project}/issues/",
            params={"query": ""},
            headers=self.world.headers(),
        ).json()
        [issue] = [i for i in found if i["title"].startswith(title)]
        return issue

    def issue(self, group_id: int) -> dict:
        return self.http.get(f"{self.base_url}/api/0/issues/{group_id}/", headers=self.world.headers()).json()

    def update(self, group_id: int, body: dict) -> requests.Response:
        return self.http.put(
            f"{self.base_url}/api/0/issues/{group_id}/", json=body, headers=self.world.headers()
        )


@pytest.fixture
def flow(http, base_url, world) -> Flow:
    return Flow(http, base_url, world)


def resolution(group_id: int) -> GroupResolution | None:
    try:
        return GroupResolution.get(*GroupResolution.key(group_id), consistent_read=True)
    except GroupResolution.DoesNotExist:
        return None


def activities(group_id: int, kind: ActivityType) -> list[Activity]:
    rows = Activity.query(f"GROUP#{group_id}", Activity.sk.startswith("ACTIVITY#"), consistent_read=True)
    return [a for a in rows if int(a.type) == kind]


def status(group_id: int) -> int:
    return int(Group.get(*Group.key(group_id), consistent_read=True).status)


def test_next_release_resolution_is_settled_by_the_next_release(flow: Flow) -> None:
    old = unique("old")
    flow.release(old)
    group_id = flow.event(unique("NextReleaseError"), release=old)
    response = flow.update(group_id, {"status": "resolvedInNextRelease"})
    assert response.status_code == 200 and response.json()["statusDetails"]["inNextRelease"] is True
    pending = resolution(group_id)
    assert pending is not None and int(pending.status) == GroupResolutionStatus.PENDING
    [activity] = activities(group_id, ActivityType.SET_RESOLVED_IN_RELEASE)
    assert activity.data.as_dict() == {"version": ""}

    new = unique("new")
    flow.release(new)
    settled = resolution(group_id)
    assert settled is not None and settled.release_version == new
    assert (int(settled.type), int(settled.status)) == (
        GroupResolutionType.IN_RELEASE,
        GroupResolutionStatus.RESOLVED,
    )
    [activity] = activities(group_id, ActivityType.SET_RESOLVED_IN_RELEASE)
    assert activity.data.as_dict() == {"version": new}

    # an old build still running changes nothing; the release it was resolved in reopens it
    flow.event(flow.issue(group_id)["title"].split(":")[0], release=old)
    assert status(group_id) == GroupStatus.RESOLVED
    flow.event(flow.issue(group_id)["title"].split(":")[0], release=new)
    assert status(group_id) == GroupStatus.UNRESOLVED


def test_an_older_release_linked_later_settles_nothing(flow: Flow) -> None:
    first = unique("first")
    flow.release(first)
    group_id = flow.event(unique("PendingError"), release=first)
    assert flow.update(group_id, {"status": "resolvedInNextRelease"}).status_code == 200
    # the same release linked again (208) settles nothing: it is the pending one
    flow.release(first)
    pending = resolution(group_id)
    assert pending is not None and int(pending.status) == GroupResolutionStatus.PENDING
