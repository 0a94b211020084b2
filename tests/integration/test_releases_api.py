"""The release flows through the local API: upsert, read, list, the PUT seed flow, delete."""

from __future__ import annotations

import math
from urllib.parse import quote

import pytest
import requests

from local.metering import count_requests
from shared.accounts.organizations import add_member, find_organization
from shared.storage.dynamodb import max_transaction_items
from shared.storage.releases import Commit, Release, ReleaseActivity, ReleaseHeadCommit, Repository
from tests.conftest import World, make_user, unique


class Api:
    """Small client for one world's release endpoints."""

    def __init__(self, http: requests.Session, base_url: str, world: World) -> None:
        self.http, self.world = http, world
        self.org_url = f"{base_url}/api/0/organizations/{world.org}"
        self.base_url = base_url

    def release_url(self, version: str) -> str:
        return f"{self.org_url}/releases/{quote(version, safe='@')}/"

    def create(self, version: str, **body) -> requests.Response:
        payload = {"version": version, "projects": [self.world.project], **body}
        return self.http.post(f"{self.org_url}/releases/", json=payload, headers=self.world.headers())

    def put(self, version: str, body: dict, token: str | None = None) -> requests.Response:
        return self.http.put(self.release_url(version), json=body, headers=self.world.headers(token))

    def get(self, version: str, token: str | None = None) -> requests.Response:
        return self.http.get(self.release_url(version), headers=self.world.headers(token))

    def commits(self, version: str) -> list[dict]:
        response = self.http.get(self.release_url(version) + "commits/", headers=self.world.headers())
        assert response.status_code == 200, response.text
        return response.json()

    def repo(self, name: str) -> None:
        response = self.http.post(f"{self.org_url}/repos/", json={"name": name}, headers=self.world.headers())
        assert response.status_code == 201, response.text


@pytest.fixture
def api(http, base_url, world) -> Api:
    return Api(http, base_url, world)


def _org_id(world: World) -> int:
    return find_organization(world.org).id


def test_create_is_an_idempotent_upsert(api: Api) -> None:
    first = api.create("app@1.0.0+build.7")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["version"] == "app@1.0.0+build.7" and body["dateCreated"].endswith("Z")
    assert body["newGroups"] == 0 and [p["slug"] for p in body["projects"]] == [api.world.project]
    again = api.create("app@1.0.0+build.7")
    assert again.status_code == 208 and again.json()["id"] == body["id"]
    # sentry-cli's archive: POST with no projects never unlinks them
    archived = api.create("app@1.0.0+build.7", projects=[], status="archived")
    assert archived.status_code == 208
    assert archived.json()["status"] == "archived" and archived.json()["projects"]
    fetched = api.get("app@1.0.0+build.7")
    assert fetched.status_code == 200 and fetched.json()["status"] == "archived"


def test_create_validation(api: Api) -> None:
    assert api.create("bad/version").json() == {"version": ["Release with name bad/version is not allowed"]}
    assert api.create("latest").status_code == 400
    assert api.create("x" * 201).status_code == 400
    invalid = api.create(unique("v"), projects=["no-such-project"])
    assert invalid.status_code == 400 and invalid.json() == {"projects": ["Invalid project ids or slugs"]}
    missing = api.http.post(f"{api.org_url}/releases/", json={"version": "1"}, headers=api.world.headers())
    assert missing.json() == {"projects": ["This field is required."]}


def test_put_updates_only_submitted_metadata(api: Api) -> None:
    version = unique("1.0")
    api.create(version, ref="main")
    response = api.put(
        version,
        {
            "url": "https://example.com/r",
            "dateReleased": "2026-11-23T08:34:13.033187734Z",
            "projects": ["web"],
        },
    )
    assert response.status_code == 400  # unknown project slug "web": nothing written
    assert api.get(version).json()["url"] is None
    response = api.put(
        version, {"url": "https://example.com/r", "dateReleased": "2026-11-23T08:34:13.033187734Z"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ref"] == "main" and body["url"] == "https://example.com/r"
    assert body["dateReleased"] == "2026-11-23T08:34:13.033187Z"
    # null and "" do not clear (Sentry stores only truthy values)
    assert api.put(version, {"ref": None, "url": ""}).json()["ref"] == "main"


def test_release_activity_once_when_first_released(api: Api) -> None:
    version = "v" * 65
    api.create(version)
    api.put(version, {"dateReleased": "2026-01-01T00:00:00Z"})
    project_id = api.get(version).json()["projects"][0]["id"]
    activity = ReleaseActivity.get(*ReleaseActivity.key(_org_id(api.world), version, project_id))
    assert (
        activity.type == 10
        and activity.ident == version[:64]
        and activity.data.as_dict() == {"version": version}
    )


def test_status_open_restores_and_invalid_status_is_400(api: Api) -> None:
    version = unique("s")
    api.create(version)
    assert api.put(version, {"status": "archived"}).json()["status"] == "archived"
    assert api.put(version, {"status": "open"}).json()["status"] == "open"
    bad = api.put(version, {"status": "closed"})
    assert bad.status_code == 400 and bad.json() == {"status": ["Invalid status closed"]}


def test_put_404_for_missing_or_hidden_release(api: Api) -> None:
    assert api.put(unique("missing"), {"ref": "x"}).status_code == 404
    version = unique("hidden")
    api.create(version)
    member_id, member_token = make_user()
    add_member(find_organization(api.world.org), member_id, "member")  # in no team
    assert api.put(version, {"ref": "x"}, token=member_token).status_code == 404
    assert api.get(version, token=member_token).status_code == 404
    assert api.get(version).json()["ref"] is None


def test_set_commits_replaces_the_log(api: Api) -> None:
    version = unique("c")
    api.create(version)
    commits = [
        {"id": "a" * 40, "repository": "acme/api", "message": "first", "author_email": "ann@example.com",
         "author_name": "Ann", "timestamp": "2026-01-01T00:00:00Z"},
        {"id": "b" * 40, "repository": "acme/api", "message": "second", "author_name": "Bob Builder",
         "timestamp": "2026-01-02T00:00:00Z"},
        {"id": "c" * 40, "repository": "acme/web", "message": "skip me #skipsentry",
         "timestamp": "2026-01-03T00:00:00Z"},
        {"id": "d" * 40, "message": "no repository", "timestamp": "2025-12-31T00:00:00Z"},
    ]  # fmt: skip
    response = api.put(version, {"commits": commits})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["commitCount"] == 3
    assert body["lastCommit"]["id"] == "b" * 40
    assert {a["email"] for a in body["authors"]} == {"ann@example.com", "bobbuilder@localhost"}
    assert [c["id"] for c in api.commits(version)] == ["b" * 40, "a" * 40, "d" * 40]
    org_id = _org_id(api.world)
    repo = Repository.get(*Repository.key(org_id, "acme/api"))
    head = ReleaseHeadCommit.get(*ReleaseHeadCommit.key(org_id, version, repo.id))
    assert head.commit_key == "b" * 40
    assert Repository.get(*Repository.key(org_id, f"organization-{org_id}")) is not None

    # a second set_commits replaces the log; shared commits stay
    assert (
        api.put(version, {"commits": [{"id": "e" * 40, "repository": "acme/api"}]}).json()["commitCount"] == 1
    )
    assert [c["id"] for c in api.commits(version)] == ["e" * 40]
    assert Commit.get(*Commit.item_key(repo.id, "a" * 40)).message == "first"

    # commits: [] is a no-op; refs: [] clears
    assert api.put(version, {"commits": []}).json()["commitCount"] == 1
    cleared = api.put(version, {"refs": []}).json()
    assert cleared["commitCount"] == 0 and cleared["lastCommit"] is None and cleared["authors"] == []
    assert api.commits(version) == []
    assert (
        list(
            ReleaseHeadCommit.query(Release.key(org_id, version)[0], ReleaseHeadCommit.sk.startswith("HEAD#"))
        )
        == []
    )
    assert Commit.get(*Commit.item_key(repo.id, "e" * 40)) is not None
    assert api.put(version, {"refs": []}).status_code == 200  # nothing to clear is fine


def test_commit_validation_writes_nothing(api: Api) -> None:
    version = unique("bad")
    api.create(version)
    cases = [
        ({"commits": None}, {"commits": ["This field may not be null."]}),
        ({"refs": None}, {"refs": ["This field may not be null."]}),
        ({"commits": [{"message": "no id"}]}, {"commits": {"id": ["This field is required."]}}),
        ({"ref": "x", "commits": [{"id": "a", "patch_set": [{"path": "p" * 511, "type": "A"}]}]}, None),
        ({"commits": [{"id": "a", "patch_set": [{"path": "p", "type": "X"}]}]}, None),
        ({"ref": "x", "refs": [{"repository": "not_a_repo", "commit": "a" * 40}]},
         {"refs": ["Invalid repository names: not_a_repo"]}),
        ({"refs": [{"repository": "r", "commit": "a" * 65}]}, None),
        ({"refs": [{"repository": "r", "commit": "a.."}]}, None),
    ]  # fmt: skip
    for body, expected in cases:
        response = api.put(version, body)
        assert response.status_code == 400, (body, response.text)
        if expected is not None:
            assert response.json() == expected
    after = api.get(version).json()
    assert after["ref"] is None and after["commitCount"] == 0
    long_path = {"commits": [{"id": "a", "patch_set": [{"path": "p" * 275, "type": "M"}]}]}
    assert api.put(version, long_path).json()["commitCount"] == 1


def test_refs_store_head_commits_and_fill_the_range(api: Api) -> None:
    api.repo("acme/backend")
    history = unique("h")
    api.create(history)
    log = [
        {
            "id": f"{i:040x}",
            "repository": "acme/backend",
            "message": f"c{i}",
            "timestamp": f"2026-02-0{i}T00:00:00Z",
        }
        for i in range(1, 6)
    ]
    api.put(history, {"commits": log})

    version = unique("r")
    api.create(version)
    refs = [{"repository": "acme/backend", "commit": f"{5:040x}", "previousCommit": f"{2:040x}"}]
    body = api.put(version, {"refs": refs}).json()
    assert body["commitCount"] == 3 and body["lastCommit"]["id"] == f"{5:040x}"
    assert [c["id"] for c in api.commits(version)] == [f"{i:040x}" for i in (5, 4, 3)]

    unknown_head = unique("u")
    api.create(unknown_head)
    body = api.put(
        unknown_head, {"refs": [{"repository": "acme/backend", "commit": "f" * 40, "previousCommit": None}]}
    )
    assert body.json()["commitCount"] == 1
    assert [c["id"] for c in api.commits(unknown_head)] == ["f" * 40]


def test_set_commits_lock_conflict_is_409(api: Api) -> None:
    version = unique("lock")
    api.create(version)
    release = Release.get(*Release.key(_org_id(api.world), version))
    release.update(actions=[Release.commits_locked_until.set(2**40)])
    response = api.put(version, {"commits": [{"id": "a" * 40}]})
    assert response.status_code == 409
    assert response.json() == {"detail": "Release commits are currently being processed"}


def test_delete(api: Api) -> None:
    version = unique("d")
    api.create(version)
    assert api.http.delete(api.release_url(version), headers=api.world.headers()).status_code == 204
    assert api.get(version).status_code == 404
    assert api.http.delete(api.release_url(version), headers=api.world.headers()).status_code == 404


def test_lists_newest_first_with_filters_and_pages(api: Api) -> None:
    versions = [unique("list") for _ in range(3)]
    for version in versions:
        api.create(version)
    api.put(versions[0], {"status": "archived"})
    org_list = api.http.get(f"{api.org_url}/releases/", headers=api.world.headers()).json()
    assert [r["version"] for r in org_list] == [versions[2], versions[1]]
    project_list = api.http.get(
        f"{api.base_url}/api/0/projects/{api.world.org}/{api.world.project}/releases/",
        headers=api.world.headers(),
    ).json()
    assert [r["version"] for r in project_list] == list(reversed(versions))
    query = api.http.get(
        f"{api.org_url}/releases/", params={"query": versions[1].upper()}, headers=api.world.headers()
    ).json()
    assert [r["version"] for r in query] == [versions[1]]
    first = api.http.get(f"{api.org_url}/releases/", params={"per_page": 1}, headers=api.world.headers())
    assert [r["version"] for r in first.json()] == [versions[2]]
    assert 'rel="next"; results="true"' in first.headers["Link"]
    second = api.http.get(first.links["next"]["url"], headers=api.world.headers())
    assert [r["version"] for r in second.json()] == [versions[1]]
    assert 'rel="next"; results="false"' in second.headers["Link"]


def test_lists_show_the_new_issues_of_each_release(api: Api) -> None:
    from shared.issues.groups import create_group

    quiet, noisy = unique("quiet"), unique("noisy")
    api.create(quiet)
    api.create(noisy)
    for title in ("first", "second"):
        create_group(_project(api.world), title, first_release_version=noisy)
    with count_requests() as calls:
        listed = api.http.get(f"{api.org_url}/releases/", headers=api.world.headers()).json()
    shown = {r["version"]: (r["newGroups"], [p["newGroups"] for p in r["projects"]]) for r in listed}
    assert shown == {noisy: (2, [2]), quiet: (0, [0])}
    assert calls["BatchGetItem"] == 2  # every link of the page in one read, and their owners in one


def test_put_request_count_for_metadata(api: Api) -> None:
    version = unique("count")
    api.create(version)
    with count_requests() as calls:
        assert api.put(version, {"ref": "abc"}).status_code == 200
    # token, org, member, release | projects query, links query | one UpdateItem | the owner
    assert calls == {"GetItem": 4, "Query": 2, "UpdateItem": 1, "BatchGetItem": 1}


def _project(world: World):
    from shared.storage.accounts import Project

    return Project.get(*Project.key(_org_id(world), world.project))


def test_a_huge_commit_message_is_stored_cut_but_read_whole(api: Api) -> None:
    from shared.issues.enums import GroupStatus
    from shared.issues.groups import create_group, get_group
    from shared.issues.short_ids import format_short_id

    project = _project(api.world)
    group = create_group(project, "MemoryError")
    repo, sha = unique("acme/huge"), "e" * 40
    message = "x" * 500_000 + f"\n\nFixes {format_short_id(project.slug, group.short_id)}"
    version = unique("huge")
    api.create(version)

    response = api.put(version, {"commits": [{"id": sha, "repository": repo, "message": message}]})

    assert response.status_code == 200, response.text
    repository = Repository.get(*Repository.key(_org_id(api.world), repo))
    stored = Commit.get(*Commit.item_key(repository.id, sha))
    assert len(stored.message) == 10_000
    assert get_group(group.id).status == GroupStatus.RESOLVED


def test_commit_messages_resolve_referenced_issues_in_the_release(api: Api) -> None:
    from shared.issues.enums import ActivityType, GroupHistoryStatus, GroupStatus
    from shared.issues.groups import create_group
    from shared.issues.short_ids import format_short_id
    from shared.storage.issues import (
        Activity,
        GroupHistory,
        GroupInbox,
        GroupLink,
        GroupResolution,
        IssueItem,
    )

    project = _project(api.world)
    fixed, untouched = create_group(project, "ZeroDivisionError"), create_group(project, "KeyError")
    short_id = format_short_id(project.slug, fixed.short_id)
    version = unique("fix")
    api.create(version)
    commits = [
        {"id": "f" * 40, "repository": "acme/api", "message": f"Fix crash\n\nFixes {short_id.lower()}"}
    ]
    assert api.put(version, {"commits": commits}).status_code == 200

    rows = list(IssueItem.query(fixed.pk))
    group = next(r for r in rows if r.sk == "GROUP")
    assert group.status == GroupStatus.RESOLVED and group.substatus is None
    assert not any(isinstance(r, GroupInbox) for r in rows)
    resolution = next(r for r in rows if isinstance(r, GroupResolution))
    assert resolution.release_version == version and resolution.type == 0 and resolution.status == 1
    assert any(isinstance(r, GroupLink) and r.relationship == "resolves" for r in rows)
    assert any(isinstance(r, Activity) and r.type == ActivityType.REFERENCED_IN_COMMIT for r in rows)
    assert any(isinstance(r, GroupHistory) and r.status == GroupHistoryStatus.RESOLVED for r in rows)
    other = next(r for r in IssueItem.query(untouched.pk) if r.sk == "GROUP")
    assert other.status == GroupStatus.UNRESOLVED


def test_delete_refused_while_a_group_was_first_seen_in_the_release(api: Api) -> None:
    from shared.issues.groups import create_group

    version = unique("first")
    api.create(version)
    create_group(_project(api.world), "Boom", first_release_version=version)
    response = api.http.delete(api.release_url(version), headers=api.world.headers())
    assert response.status_code == 400
    assert api.get(version).json()["newGroups"] == 1


WRITES = {"BatchWriteItem", "TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem"}


def test_set_commits_writes_are_batched(api: Api) -> None:
    version = unique("batched")
    api.create(version)
    commits = [{"id": f"{i:040x}", "repository": "acme/batch", "author_email": f"d{i % 5}@example.com"}
               for i in range(100)]  # fmt: skip
    with count_requests() as calls:
        assert api.put(version, {"commits": commits}).json()["commitCount"] == 100
    writes = sum(n for op, n in calls.items() if op in WRITES)
    # 100 release-commit rows = 4 batches; 100 new commits = 1 transaction of the largest size (100
    # on AWS); the rest is per call
    assert writes <= 100 // 25 + math.ceil(100 / max_transaction_items()) - 1 + 15, calls
    assert calls["BatchWriteItem"] <= 5
    assert calls["TransactWriteItems"] <= math.ceil(100 / max_transaction_items())


def test_concurrent_set_commits_never_mix(base_url, world: World) -> None:
    from concurrent.futures import ThreadPoolExecutor

    api = Api(requests.Session(), base_url, world)
    version = unique("race")
    api.create(version)
    lists = [[{"id": f"{tag}{i:039x}", "repository": "acme/race"} for i in range(60)] for tag in "ab"]

    def put(commits: list[dict]) -> int:
        return requests.put(
            api.release_url(version), json={"commits": commits}, headers=world.headers()
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(put, lists))
    assert sorted(statuses) in ([200, 200], [200, 409])
    final = [c["id"] for c in api.commits(version)]
    assert final in ([c["id"] for c in lists[0]], [c["id"] for c in lists[1]])


def test_head_commits_are_converted_to_refs(api: Api) -> None:
    api.repo("acme/heads")
    version = unique("heads")
    api.create(version)
    body = {"headCommits": [{"currentId": "c" * 40, "repository": "acme/heads", "previousId": None}]}
    response = api.put(version, body)
    assert response.status_code == 200 and response.json()["commitCount"] == 1
    repo = Repository.get(*Repository.key(_org_id(api.world), "acme/heads"))
    assert (
        ReleaseHeadCommit.get(*ReleaseHeadCommit.key(_org_id(api.world), version, repo.id)).commit_key
        == "c" * 40
    )


def test_release_of_another_teams_project_is_404(api: Api, http, base_url) -> None:
    from shared.accounts.organizations import join_team
    from shared.storage.accounts import OrganizationMember, Team

    other_team = http.post(
        f"{api.org_url}/teams/", json={"name": unique("team")}, headers=api.world.headers()
    ).json()
    other_project = http.post(
        f"{base_url}/api/0/teams/{api.world.org}/{other_team['slug']}/projects/",
        json={"name": unique("p")},
        headers=api.world.headers(),
    ).json()
    version = unique("two")
    api.create(version, projects=[api.world.project, other_project["slug"]])
    member_id, token = make_user()
    org = find_organization(api.world.org)
    member = add_member(org, member_id, "member")
    team = Team.get(*Team.key(org.id, api.world.team))
    join_team(member, team.id)
    assert OrganizationMember.get(*OrganizationMember.key(org.id, member_id)).team_ids == [team.id]
    assert api.get(version, token=token).status_code == 404
    single = unique("one")
    api.create(single)
    assert api.get(single, token=token).status_code == 200


def test_creation_answers_alike_for_a_hidden_version_and_refuses_releases_no_one_could_see(
    api: Api, http, base_url
) -> None:
    """A member of another team names a version that exists only in a project they cannot see: the
    answer is the one a new version naming no project of theirs gets, names no project, and changes
    nothing; a release left with no project (no one could see it) is never created."""
    from shared.accounts.organizations import join_team
    from shared.storage.accounts import Team
    from tests.integration import stored_items

    other_team = http.post(f"{api.org_url}/teams/", json={"slug": unique("t")}, headers=api.world.headers())
    member_id, token = make_user()
    org = find_organization(api.world.org)
    join_team(
        add_member(org, member_id, "member"),
        Team.get(*Team.key(org.id, other_team.json()["slug"])).id,
    )
    own = http.post(
        f"{base_url}/api/0/teams/{api.world.org}/{other_team.json()['slug']}/projects/",
        json={"name": unique("own")},
        headers=api.world.headers(),
    ).json()["slug"]
    hidden = unique("hidden")
    assert api.create(hidden).status_code == 201  # in the world's project only

    def post(version: str, projects: list[str], token: str | None = token) -> requests.Response:
        body = {"version": version, "projects": projects, "status": "archived"}
        return http.post(f"{api.org_url}/releases/", json=body, headers=api.world.headers(token))

    refusal = (400, {"projects": ["Invalid project ids or slugs"]})
    before = stored_items.dump()
    answers = {
        "hidden, no project": post(hidden, []),
        "hidden, own project": post(hidden, [own]),
        "new, no project": post(unique("new"), []),
        "new, no project, owner": post(unique("new"), [], token=None),
        "new, hidden project": post(unique("new"), [api.world.project]),
    }
    assert {k: (r.status_code, r.json()) for k, r in answers.items()} == dict.fromkeys(answers, refusal)
    assert stored_items.changes(before, stored_items.dump()) == {}
    assert api.get(hidden).json()["status"] == "open"
    assert [p["slug"] for p in api.get(hidden).json()["projects"]] == [api.world.project]
    # a new version in their own project is theirs, and they can see it
    mine = unique("mine")
    assert post(mine, [own]).status_code == 201
    assert api.get(mine, token=token).status_code == 200


def test_previous_with_commits(api: Api) -> None:
    older, newer = unique("prev"), unique("next")
    api.create(older)
    api.create(newer)
    url = api.release_url(newer) + "previous-with-commits/"
    assert api.http.get(url, headers=api.world.headers()).json() == {}
    api.put(older, {"commits": [{"id": "9" * 40, "repository": "acme/prev"}]})
    found = api.http.get(url, headers=api.world.headers()).json()
    assert found["version"] == older and found["lastCommit"]["id"] == "9" * 40


def test_long_ref_ranges_are_filled_through_the_queue(api: Api, local_lambda) -> None:
    from local.background import drain_once
    from local.template import queue_consumers

    api.repo("acme/long")
    history = unique("hist")
    api.create(history)
    log = [
        {"id": f"{i:040x}", "repository": "acme/long", "timestamp": f"2026-03-01T00:{i // 60:02}:{i % 60:02}"}
        for i in range(300)
    ]
    api.put(history, {"commits": log})
    version = unique("queued")
    api.create(version)
    refs = [{"repository": "acme/long", "commit": f"{299:040x}", "previousCommit": f"{10:040x}"}]
    assert api.put(version, {"refs": refs}).json()["commitCount"] == 0  # queued, not done inline
    assert api.commits(version) == []
    consumer = next(c for c in queue_consumers() if c.queue == "ReleaseCommitsQueue")
    assert sum(drain_once(consumer, local_lambda.invoke, wait_seconds=1) for _ in range(3)) == 1
    body = api.get(version).json()
    assert body["commitCount"] == 289 and body["lastCommit"]["id"] == f"{299:040x}"
