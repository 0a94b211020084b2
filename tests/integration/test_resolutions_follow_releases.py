"""Resolutions that follow releases and commits, through HTTP: a pending "next release" resolution
settled by the next release, "resolved in commit" applied when a release ships the commit, and the
regressions each allows."""

from __future__ import annotations

import pytest
import requests

from shared.issues.enums import ActivityType, GroupResolutionStatus, GroupResolutionType, GroupStatus
from shared.storage.issues import Activity, Group, GroupResolution
from tests.conftest import World, events_processed, unique
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
        events_processed()
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
    return [a for a in rows if a.type == kind]


def status(group_id: int) -> int:
    return Group.get(*Group.key(group_id), consistent_read=True).status


def test_next_release_resolution_is_settled_by_the_next_release(flow: Flow) -> None:
    old = unique("old")
    flow.release(old)
    group_id = flow.event(unique("NextReleaseError"), release=old)
    response = flow.update(group_id, {"status": "resolvedInNextRelease"})
    assert response.status_code == 200 and response.json()["statusDetails"]["inNextRelease"] is True
    pending = resolution(group_id)
    assert pending is not None and pending.status == GroupResolutionStatus.PENDING
    [activity] = activities(group_id, ActivityType.SET_RESOLVED_IN_RELEASE)
    assert activity.data.as_dict() == {"version": ""}

    new = unique("new")
    flow.release(new)
    settled = resolution(group_id)
    assert settled is not None and settled.release_version == new
    assert (settled.type, settled.status) == (
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
    assert pending is not None and pending.status == GroupResolutionStatus.PENDING


def _repo(flow: Flow, name: str) -> None:
    response = flow.http.post(f"{flow.org_url}/repos/", json={"name": name}, headers=flow.world.headers())
    assert response.status_code == 201, response.text


def test_resolved_in_a_commit_that_a_later_release_ships(flow: Flow) -> None:
    _repo(flow, "acme/ship")
    sha = "5" * 40
    seed = unique("seed")
    flow.release(seed)
    flow.put_release(seed, {"commits": [{"id": "4" * 40, "repository": "acme/ship"}]})
    # the commit exists (a release that does not hold it yet records it as a head commit)
    holder = unique("holder")
    flow.release(holder)
    flow.put_release(
        holder, {"refs": [{"repository": "acme/ship", "commit": sha, "previousCommit": "4" * 40}]}
    )
    open_id = flow.event(unique("ShipError"))
    resolved_id = flow.event(unique("StaysResolvedError"))
    in_commit = {
        "status": "resolved",
        "statusDetails": {"inCommit": {"commit": sha, "repository": "acme/ship"}},
    }
    for group_id in (open_id, resolved_id):
        response = flow.update(group_id, in_commit)
        assert response.status_code == 200 and response.json()["status"] == "resolved", response.text
    # the release already holding the commit (its range) is the one they are resolved in
    assert resolution(resolved_id).release_version == holder  # type: ignore[union-attr]
    flow.update(open_id, {"status": "unresolved"})  # reopened before the fix ships again
    assert status(open_id) == GroupStatus.UNRESOLVED and resolution(open_id) is None

    shipped = unique("shipped")
    flow.release(shipped)
    flow.put_release(shipped, {"commits": [{"id": sha, "repository": "acme/ship", "message": "the fix"}]})
    for group_id in (open_id, resolved_id):
        fixed = resolution(group_id)
        assert status(group_id) == GroupStatus.RESOLVED and fixed is not None
        assert (fixed.release_version, fixed.type) == (shipped, GroupResolutionType.IN_RELEASE)
    # an older build's event changes nothing; the shipped release's event is a regression
    title = flow.issue(open_id)["title"].split(":")[0]
    flow.event(title, release=seed)
    assert status(open_id) == GroupStatus.RESOLVED
    flow.event(title, release=shipped)
    assert status(open_id) == GroupStatus.UNRESOLVED


def test_commit_resolutions_are_by_the_commit_author_and_links_follow_the_message(
    flow: Flow, base_url: str
) -> None:
    from shared.accounts.users import create_user
    from shared.storage.group_people import GroupSubscription
    from shared.storage.issues import GroupHistory, GroupLink

    author = create_user(unique("dev"), f"{unique('dev')}@example.com")
    by_short = flow.event(unique("ShortIdError"))
    by_url = flow.event(unique("UrlError"))
    short_id = flow.issue(by_short)["shortId"]
    url = f"{base_url}/organizations/{flow.world.org}/issues/{by_url}/"
    version = unique("authored")
    flow.release(version)
    commit = {
        "id": "a" * 40,
        "repository": "acme/authored",
        "author_email": author.email.upper(),
        "author_name": "Dev",
        "message": f"Fixes {short_id}\n\nSee {url}",
    }
    flow.put_release(version, {"commits": [commit]})
    for group_id in (by_short, by_url):
        assert status(group_id) == GroupStatus.RESOLVED
        stored = resolution(group_id)
        assert stored is not None and stored.actor_id == author.id
        [referenced] = activities(group_id, ActivityType.REFERENCED_IN_COMMIT)
        assert referenced.user_id == author.id and isinstance(referenced.data["commit"], int)
        subscription = GroupSubscription.get(*GroupSubscription.key(group_id, author.id))
        assert subscription.is_active
        history = [h for h in GroupHistory.query(f"GROUP#{group_id}", GroupHistory.sk.startswith("HISTORY#"))]
        assert any(h.user_id == author.id for h in history)

    # the message edited to drop the short id: that link goes, the URL's stays
    edited = {**commit, "message": f"See {url}"}
    flow.put_release(version, {"commits": [edited]})
    links = {
        g: list(GroupLink.query(f"GROUP#{g}", GroupLink.sk.startswith("LINK#"))) for g in (by_short, by_url)
    }
    assert links[by_short] == [] and len(links[by_url]) == 1

    # an author no user has: no actor
    stranger = flow.event(unique("StrangerError"))
    other = unique("stranger")
    flow.release(other)
    flow.put_release(
        other,
        {"commits": [{"id": "b" * 40, "repository": "acme/authored", "author_email": "nobody@example.org",
                      "message": f"Fixes {flow.issue(stranger)['shortId']}"}]},
    )  # fmt: skip
    stored = resolution(stranger)
    assert stored is not None and stored.actor_id is None


def test_resolved_in_upcoming_release(flow: Flow) -> None:
    current = unique("cur")
    flow.release(current)
    group_id = flow.event(unique("UpcomingError"), release=current)
    response = flow.update(group_id, {"status": "resolved", "statusDetails": {"inUpcomingRelease": True}})
    assert response.status_code == 200, response.text
    details = response.json()["statusDetails"]
    assert details["inUpcomingRelease"] is True and details["actor"]["id"] == str(flow.world.owner_id)
    stored = resolution(group_id)
    assert stored is not None
    assert (stored.type, stored.status) == (
        GroupResolutionType.IN_UPCOMING_RELEASE,
        GroupResolutionStatus.PENDING,
    )
    title = flow.issue(group_id)["title"].split(":")[0]
    flow.event(title, release=current)  # the current build is the old one: no regression
    assert status(group_id) == GroupStatus.RESOLVED

    upcoming = unique("up")
    flow.release(upcoming)
    settled = resolution(group_id)
    assert settled is not None and (settled.release_version, settled.type) == (upcoming, 0)
    assert flow.issue(group_id)["statusDetails"]["inRelease"] == upcoming
    flow.event(title, release=upcoming)
    assert status(group_id) == GroupStatus.UNRESOLVED


def test_resolved_in_future_release(flow: Flow) -> None:
    from shared.accounts.organizations import find_organization
    from shared.storage.accounts import Organization

    package = unique("pkg")
    flow.release(f"{package}@1.0.0")
    group_id = flow.event(unique("FutureError"), release=f"{package}@1.0.0")
    future = {"status": "resolved", "statusDetails": {"inFutureRelease": f"{package}@2.0.0"}}
    refused = flow.update(group_id, future)
    assert refused.status_code == 400
    assert refused.json() == {
        "statusDetails": {"inFutureRelease": ["Your organization does not have access to this feature."]}
    }
    find_organization(flow.world.org).update(  # type: ignore[union-attr]
        actions=[Organization.features.add({"organizations:resolve-in-future-release"})]
    )
    bad = flow.update(group_id, {"status": "resolved", "statusDetails": {"inFutureRelease": "2.0"}})
    assert (
        bad.status_code == 400
        and "Invalid semver format" in bad.json()["statusDetails"]["inFutureRelease"][0]
    )
    assert status(group_id) == GroupStatus.UNRESOLVED and resolution(group_id) is None

    response = flow.update(group_id, future)
    assert response.status_code == 200, response.text
    assert response.json()["statusDetails"]["inFutureRelease"] == f"{package}@2.0.0"
    title = flow.issue(group_id)["title"].split(":")[0]
    flow.release(f"{package}@1.5.0")  # not the promised release: still pending
    flow.event(title, release=f"{package}@1.5.0")
    assert status(group_id) == GroupStatus.RESOLVED
    assert resolution(group_id).type == GroupResolutionType.IN_FUTURE_RELEASE  # type: ignore[union-attr]

    flow.release(f"{package}@2.0.0")
    settled = resolution(group_id)
    assert settled is not None and settled.release_version == f"{package}@2.0.0"
    assert settled.status == GroupResolutionStatus.RESOLVED
    flow.event(title, release=f"{package}@2.0.0")
    assert status(group_id) == GroupStatus.UNRESOLVED
