"""A commit's ``patch_set`` stored as file changes, ``…/commitfiles/``, and ``commitCount`` as sent."""

from __future__ import annotations

import pytest

from local.metering import count_requests
from shared.accounts.organizations import find_organization
from shared.storage.releases import CommitFileChange, ReleaseItem, Repository
from tests.conftest import unique
from tests.integration.test_releases_api import Api


@pytest.fixture
def api(http, base_url, world) -> Api:
    return Api(http, base_url, world)


def _files(api: Api, version: str) -> list[dict]:
    response = api.http.get(api.release_url(version) + "commitfiles/", headers=api.world.headers())
    assert response.status_code == 200, response.text
    return response.json()


def test_patch_sets_are_stored_and_listed(api: Api) -> None:
    version = unique("files")
    api.create(version)
    long_path = "src/" + "p" * 506  # Sentry's limit: 510 characters
    commits = [
        {"id": "a" * 40, "repository": "acme/files", "message": "add", "author_email": "ann@example.com",
         "author_name": "Ann", "timestamp": "2026-01-01T00:00:00Z",
         "patch_set": [{"path": "a.py", "type": "A"}, {"path": long_path, "type": "A"}]},
        {"id": "b" * 40, "repository": "acme/files", "message": "change", "timestamp": "2026-01-02T00:00:00Z",
         "patch_set": [{"path": "a.py", "type": "M"}, {"path": "gone.py", "type": "D"}]},
        {"id": "c" * 40, "repository": "acme/files", "message": "none", "timestamp": "2026-01-03T00:00:00Z"},
    ]  # fmt: skip
    with count_requests() as calls:
        response = api.put(version, {"commits": commits})
    assert response.status_code == 200, response.text
    # the four file rows: one id block and one BatchWriteItem beside the release-commit rows
    assert calls["BatchWriteItem"] == 2, calls
    files = _files(api, version)
    assert [f["filename"] for f in files] == sorted(f["filename"] for f in files)
    assert sorted((f["filename"], f["type"], f["commitMessage"]) for f in files) == [
        ("a.py", "A", "add"),
        ("a.py", "M", "change"),
        ("gone.py", "D", "change"),
        (long_path, "A", "add"),
    ]
    authors = {f["commitMessage"]: f["author"] for f in files}
    assert authors == {"add": {"name": "Ann", "email": "ann@example.com"}, "change": {}}
    assert {f["repoName"] for f in files} == {"acme/files"} and len({f["id"] for f in files}) == 4

    # the same commit sent again with a changed type replaces its row, never duplicates it
    again = [{**commits[1], "patch_set": [{"path": "a.py", "type": "D"}]}]
    assert api.put(version, {"commits": again}).status_code == 200
    assert [(f["filename"], f["type"]) for f in _files(api, version)] == [("a.py", "D"), ("gone.py", "D")]
    org_id = find_organization(api.world.org).id
    repo = Repository.get(*Repository.key(org_id, "acme/files"))
    stored = list(CommitFileChange.query(f"REPO#{repo.id}", CommitFileChange.sk.startswith("FILE#")))
    assert len(stored) == 4


def test_bad_patch_sets_write_nothing(api: Api) -> None:
    version = unique("badfiles")
    api.create(version)
    too_long = {"path": ["Ensure this field has no more than 510 characters."]}
    for patch_set, error in (
        ([{"path": "p" * 511, "type": "A"}], too_long),
        ([{"path": "p", "type": "X"}], {"type": ["Commit patch_set type X is not supported."]}),
        ([{"type": "A"}], {"path": ["This field is required."]}),
        ([{"path": "", "type": "A"}], {"path": ["This field may not be blank."]}),
    ):
        commit = {"id": "f" * 40, "repository": "acme/bad", "patch_set": patch_set}
        response = api.put(version, {"commits": [commit]})
        assert response.status_code == 400 and response.json() == {"commits": {"patch_set": error}}
    org_id = find_organization(api.world.org).id
    assert [r.sk for r in ReleaseItem.query(f"ORG#{org_id}")] == []
    assert _files(api, version) == [] and api.get(version).json()["commitCount"] == 0


def test_commit_count_counts_the_list_as_sent(api: Api) -> None:
    version = unique("dupes")
    api.create(version)
    same = {"id": "d" * 40, "repository": "acme/dupes"}
    body = api.put(version, {"commits": [same, same, {"id": "e" * 40, "repository": "acme/dupes"}]}).json()
    assert body["commitCount"] == 3
    assert sorted(c["id"] for c in api.commits(version)) == ["d" * 40, "e" * 40]


def test_a_ref_without_start_begins_at_the_previous_releases_head(api: Api) -> None:
    api.repo("acme/ranges")
    sha = [f"{i:040x}" for i in range(7)]
    history = unique("hist")
    api.create(history)
    log = [
        {
            "id": sha[i],
            "repository": "acme/ranges",
            "message": f"c{i}",
            "timestamp": f"2026-03-0{i}T00:00:00Z",
        }
        for i in range(1, 7)
    ]
    assert api.put(history, {"commits": log}).status_code == 200
    previous = unique("prev")
    api.create(previous)
    first = api.put(
        previous, {"refs": [{"repository": "acme/ranges", "commit": sha[3], "previousCommit": sha[1]}]}
    )
    assert [c["id"] for c in api.commits(previous)] == [sha[3], sha[2]]

    current = unique("cur")
    api.create(current)
    with count_requests() as calls:
        body = api.put(
            current, {"refs": [{"repository": "acme/ranges", "commit": sha[6], "previousCommit": None}]}
        )
    assert body.status_code == 200, body.text
    assert [c["id"] for c in api.commits(current)] == [sha[6], sha[5], sha[4]]
    assert first.json()["commitCount"] == 2 and body.json()["commitCount"] == 3
    # projects, release links, the previous release (one Query of the project's links), the range,
    # the release's commit and head rows; its head commit is one of the BatchGetItems
    assert calls["Query"] == 6 and calls["BatchGetItem"] == 7, calls

    # a repository the previous release has no head commit in: the head commit alone
    api.repo("acme/other")
    alone = api.put(current, {"refs": [{"repository": "acme/other", "commit": "e" * 40}]}).json()
    assert alone["commitCount"] == 1
