"""Issue lists (project and organization): Sentry's default query, ``is:`` filters, ``assigned:me``,
``bookmarks:me``, newest last seen first, and offset cursors with Sentry's ``Link`` header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.metering import count_requests
from shared.storage.issues import Group, status_index_sk
from tests.integration.test_issue_update import IssuesApi


@pytest.fixture
def api(http, base_url, world) -> IssuesApi:
    return IssuesApi(http, base_url, world)


def _seen_at(group: Group, minutes_ago: int) -> None:
    """Move the group's last event into the past (as ingestion's "seen again" write does)."""
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    group.update(actions=[Group.last_seen.set(when), Group.gsi1sk.set(status_index_sk(when, int(group.id)))])


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
