"""Sentry's issue search over many issues: a filtered list pages through every match (none dropped
however many issues do not match), and the people filters (assignee by user, email or team,
bookmarks, subscriptions)."""

from __future__ import annotations

import pytest

from shared.storage.accounts import User
from shared.storage.group_people import GroupSubscription
from shared.storage.issues import Group
from tests.integration.test_issue_reads import _seen_at
from tests.integration.test_issue_update import IssuesApi


@pytest.fixture
def api(http, base_url, world) -> IssuesApi:
    return IssuesApi(http, base_url, world)


def _pages(api: IssuesApi, query: str, per_page: int) -> list[str]:
    """Every page of the project's list for ``query``, following the Link header's next cursor."""
    url = f"{api.base_url}/api/0/projects/{api.world.org}/{api.world.project}/issues/"
    titles: list[str] = []
    cursor = None
    for _ in range(50):
        params = {"query": query, "per_page": str(per_page), **({"cursor": cursor} if cursor else {})}
        response = api.http.get(url, params=params, headers=api.world.headers())
        assert response.status_code == 200, response.text
        titles += [issue["title"] for issue in response.json()]
        following = response.links.get("next", {})
        if following.get("results") != "true":
            return titles
        cursor = following["cursor"]
    raise AssertionError("too many pages")


def test_filtered_pages_hold_every_match(api: IssuesApi) -> None:
    groups = [api.group(f"issue {n:02d}") for n in range(40)]
    for n, group in enumerate(groups):
        _seen_at(group, 60 - n)  # issue 39 newest
        if n % 7 == 0:
            group.update(actions=[Group.level.set("fatal"), Group.times_seen.set(100 + n)])
    fatal = [f"issue {n:02d}" for n in range(39, -1, -1) if n % 7 == 0]
    assert _pages(api, "level:fatal", per_page=2) == fatal
    assert _pages(api, "times_seen:>=100", per_page=4) == fatal
    assert _pages(api, "!level:fatal issue", per_page=25) == [
        f"issue {n:02d}" for n in range(39, -1, -1) if n % 7
    ]
    assert _pages(api, "times_seen:>1k", per_page=5) == []


def test_people_filters(api: IssuesApi) -> None:
    by_user, by_team, bookmarked = api.group("by user"), api.group("by team"), api.group("bookmarked")
    colleague, _ = api.member()
    email = User.get(*User.key(colleague)).email
    team = api.project.teams[0]
    api.ok(by_user, {"assignedTo": str(colleague)})
    api.ok(by_team, {"assignedTo": f"team:{team.id}"})
    api.ok(bookmarked, {"isBookmarked": True})
    assert _pages(api, f"assigned:{email}", 25) == ["by user"]
    assert _pages(api, f"assigned:#{team.slug}", 25) == ["by team"]
    assert _pages(api, f"assigned_or_suggested:[{email}, #{team.slug}]", 25) == ["by team", "by user"]
    assert _pages(api, "assigned:my_teams", 25) == ["by team"]
    assert _pages(api, "assigned:none", 25) == ["bookmarked"]
    assert _pages(api, "!assigned:none", 25) == ["by team", "by user"]
    assert _pages(api, "bookmarks:me", 25) == ["bookmarked"]
    keys = [GroupSubscription.key(g.id, api.world.owner_id) for g in (bookmarked, by_team, by_user)]
    active = {row.pk for row in GroupSubscription.batch_get(keys) if row.is_active}
    subscribed = [g.title for g in (bookmarked, by_team, by_user) if g.pk in active]  # newest first
    assert "bookmarked" in subscribed  # bookmarking subscribes, as in Sentry
    assert _pages(api, "subscribed:me", 25) == subscribed
    assert _pages(api, "assigned:nobody@example.com", 25) == []
