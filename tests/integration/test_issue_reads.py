"""Issue lists (project and organization): Sentry's default query, ``is:`` filters, ``assigned:me``,
``bookmarks:me``, newest last seen first, and offset cursors with Sentry's ``Link`` header."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from local.metering import count_requests
from shared.auth.access import Principal, organization_access
from shared.issues import listing
from shared.issues.enums import GroupStatus
from shared.issues.lookup import IssueScope
from shared.issues.status_index import StatusEntry, status_entries, status_groups
from shared.issues.views import group_views
from shared.storage.issues import Group, status_index_sk
from tests.integration.test_issue_update import IssuesApi


@pytest.fixture
def api(http, base_url, world) -> IssuesApi:
    return IssuesApi(http, base_url, world)


def _seen_at(group: Group, minutes_ago: int) -> None:
    """Move the group's last event into the past (as ingestion's "seen again" write does)."""
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    group.update(actions=[Group.last_seen.set(when), Group.gsi1sk.set(status_index_sk(when, group.id))])


def _titles(api: IssuesApi, query: str | None = None, org: bool = False, **params: str) -> list[str]:
    if query is not None:
        params["query"] = query
    path = f"organizations/{api.world.org}" if org else f"projects/{api.world.org}/{api.world.project}"
    response = api.http.get(
        f"{api.base_url}/api/0/{path}/issues/", params=params, headers=api.world.headers()
    )
    assert response.status_code == 200, response.text
    return [issue["title"] for issue in response.json()]


def test_lists_filter_by_status_newest_last_seen_first(api: IssuesApi) -> None:
    old, new, resolved, ignored = (api.group(t) for t in ("old", "new", "resolved", "ignored"))
    _seen_at(old, 30)
    _seen_at(new, 1)
    api.ok(resolved, {"status": "resolved"})
    api.ok(ignored, {"status": "ignored"})
    assert _titles(api) == ["new", "old"]  # default is:unresolved
    assert _titles(api, org=True) == ["new", "old"]
    assert _titles(api, "is:resolved") == ["resolved"]
    assert _titles(api, "is:ignored") == _titles(api, "is:archived") == ["ignored"]
    assert set(_titles(api, "")) == {"old", "new", "resolved", "ignored"}
    assert _titles(api, "is:unresolved NEW") == ["new"]
    api.ok(old, {"inbox": False})
    assert _titles(api, "is:for_review") == ["new"]


def test_assigned_and_bookmarked_by_me(api: IssuesApi) -> None:
    mine, bookmarked, other = api.group("mine"), api.group("bookmarked"), api.group("other")
    colleague, _ = api.member()
    api.ok(mine, {"assignedTo": str(api.world.owner_id)})
    api.ok(other, {"assignedTo": str(colleague)})
    api.ok(bookmarked, {"isBookmarked": True})
    assert _titles(api, "assigned:me") == ["mine"]
    assert _titles(api, "bookmarks:me") == ["bookmarked"]
    assert _titles(api, "is:unassigned") == ["bookmarked"]
    assert set(_titles(api, "is:assigned")) == {"mine", "other"}


def test_cursor_pagination_with_link_header(api: IssuesApi) -> None:
    groups = [api.group(f"g{i}") for i in range(5)]
    for minutes, group in enumerate(groups):
        _seen_at(group, 10 - minutes)  # g4 newest
    url = f"{api.base_url}/api/0/projects/{api.world.org}/{api.world.project}/issues/"
    seen: list[str] = []
    cursor = ""
    with count_requests() as calls:
        for _ in range(3):
            response = api.http.get(
                url, params={"per_page": "2", "cursor": cursor}, headers=api.world.headers()
            )
            assert response.status_code == 200
            seen += [issue["title"] for issue in response.json()]
            links = response.links
            cursor = links["next"]["cursor"]
            if links["next"]["results"] == "false":
                break
    assert seen == ["g4", "g3", "g2", "g1", "g0"]
    assert links["previous"]["results"] == "true"
    assert calls["Query"] < 40
    # per page: the listed groups (keys-only index) in one read, the rows they show in another
    assert calls["BatchGetItem"] == 6, calls
    bad = api.http.get(url, params={"cursor": "nonsense"}, headers=api.world.headers())
    assert bad.status_code == 400
    invalid = api.http.get(url, params={"query": "is:nope"}, headers=api.world.headers())
    assert invalid.status_code == 400


def test_organization_list_across_projects(api: IssuesApi) -> None:
    from shared.auth.access import Principal, organization_access
    from shared.projects.service import create_project
    from shared.storage.accounts import Organization

    access = organization_access(Principal.acting_user(api.world.owner_id), api.world.org)
    second = create_project(access, api.project.teams[0].slug, "Second")
    first_group = api.group("first project")
    second_group = api.group("second project", project=second)
    _seen_at(first_group, 5)
    url = f"{api.base_url}/api/0/organizations/{api.world.org}/issues/"
    refused = api.http.get(url, headers=api.world.headers())
    assert refused.status_code == 400
    assert refused.json() == {"detail": "You do not have the multi project stream feature enabled"}
    assert _titles(api, org=True, project=str(second.id)) == ["second project"]
    api.org.update(actions=[Organization.features.add({"organizations:global-views"})])
    assert _titles(api, org=True) == ["second project", "first project"]
    assert second_group.project_id == second.id


def test_a_page_reads_its_groups_in_one_request_and_the_look_ahead_with_them(api: IssuesApi) -> None:
    groups = [api.group(f"p{i}") for i in range(30)]
    by_title = {str(g.title): g for g in groups}
    for minutes, group in enumerate(groups):
        _seen_at(group, 60 - minutes)  # p29 newest
    url = f"{api.base_url}/api/0/projects/{api.world.org}/{api.world.project}/issues/"
    for cursor, titles in (
        ("", [f"p{i}" for i in range(29, 4, -1)]),
        ("0:25:0", [f"p{i}" for i in range(4, -1, -1)]),
    ):
        with count_requests() as calls:
            response = api.http.get(
                url, params={"per_page": "25", "cursor": cursor}, headers=api.world.headers()
            )
        assert response.status_code == 200, response.text
        assert [issue["title"] for issue in response.json()] == titles
        listed = [by_title[t] for t in titles]
        with count_requests() as shown:
            group_views(api.org, [api.project], listed, api.world.owner_id)
        # the page's groups (look-ahead included) in one BatchGetItem, plus what showing them reads
        assert shown["BatchGetItem"] >= 1
        assert calls["BatchGetItem"] == 1 + shown["BatchGetItem"], (calls, shown)


def _scope(api: IssuesApi) -> IssueScope:
    access = organization_access(Principal.acting_user(api.world.owner_id), api.world.org)
    return IssueScope(access, [api.project])


def test_groups_deleted_or_moved_after_the_index_read_are_left_out(
    api: IssuesApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept, deleted, resolved, newest = (api.group(t) for t in ("kept", "deleted", "resolved", "newest"))
    for minutes, group in enumerate((kept, deleted, resolved, newest)):
        _seen_at(group, 10 - minutes)
    project_id = api.project.id
    read_before = list(status_entries(project_id, GroupStatus.UNRESOLVED))
    assert [e.key for e in read_before] == [Group.key(g.id) for g in (newest, resolved, deleted, kept)]
    Group(*Group.key(deleted.id)).delete()
    api.ok(resolved, {"status": "resolved"})

    def index_as_read_before(
        pid: int, status: int, newest_first: bool = True, first: int | None = None
    ) -> Iterator[StatusEntry]:
        """The unresolved partition as it was read before the changes (an index lagging behind)."""
        if status == GroupStatus.UNRESOLVED:
            return iter(read_before)
        return status_entries(pid, status, newest_first, first)

    monkeypatch.setattr(listing, "status_entries", index_as_read_before)
    unresolved = listing.search_groups(_scope(api), listing.parse_query("is:unresolved"), None)
    assert [g.title for g in unresolved] == ["newest", "kept"]
    everything = listing.search_groups(_scope(api), listing.parse_query(""), None)
    assert [g.title for g in everything] == ["newest", "resolved", "kept"]
    assert [g.title for g in status_groups(project_id, GroupStatus.RESOLVED)] == ["resolved"]


def test_a_filter_on_index_fields_reads_only_the_groups_it_lists(api: IssuesApi) -> None:
    """``level:`` and the first seen of ``sort=new`` are read from the index entries: of 120 groups,
    the two fatal ones are the only groups read (one BatchGetItem, where testing the groups took
    two), in either order."""
    groups = [api.group(f"q{i}") for i in range(120)]
    older, newer = groups[10], groups[90]
    long_ago = datetime.now(UTC) - timedelta(days=2)
    older.update(actions=[Group.level.set("fatal")])
    newer.update(actions=[Group.level.set("fatal"), Group.first_seen.set(long_ago)])
    for sort, titles in ((None, ["q90", "q10"]), ("new", ["q10", "q90"])):
        with count_requests() as calls:
            listed = _titles(api, "level:fatal", **({"sort": sort} if sort else {}))
        assert listed == titles
        with count_requests() as shown:
            group_views(api.org, [api.project], [newer, older], api.world.owner_id)
        assert calls["BatchGetItem"] == 1 + shown["BatchGetItem"], (sort, calls, shown)
    assert _titles(api, "!level:fatal age:-1d", per_page="3") == ["q119", "q118", "q117"]
    assert _titles(api, "level:fatal age:-1d") == ["q10"]
