"""Sentry's ``sort`` on the project and organization issue lists: ``date`` (last seen, default),
``new`` (first seen), ``freq`` (events), ``user`` (distinct users), with offset pages in that order
and 400 for any other sort."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.issues.events.counts import record_event
from shared.storage.accounts import Organization
from shared.storage.issues import Group, status_index_sk
from tests.integration.test_issue_update import IssuesApi


@pytest.fixture
def api(http, base_url, world) -> IssuesApi:
    return IssuesApi(http, base_url, world)


def _shape(group: Group, last_seen_ago: int, first_seen_ago: int, events: int, users: int) -> None:
    """Give the group its last and first seen (minutes ago), its event count and its distinct users."""
    now = datetime.now(UTC)
    last = now - timedelta(minutes=last_seen_ago)
    group.update(
        actions=[
            Group.last_seen.set(last),
            Group.gsi1sk.set(status_index_sk(last, group.id)),
            Group.first_seen.set(now - timedelta(minutes=first_seen_ago)),
            Group.times_seen.set(events),
        ]
    )
    for n in range(users):
        record_event(group.id, now, f"user-{group.id}-{n}")


def _page(api: IssuesApi, sort: str | None, org: bool = False, **params: str):
    path = f"organizations/{api.world.org}" if org else f"projects/{api.world.org}/{api.world.project}"
    if sort is not None:
        params["sort"] = sort
    return api.http.get(f"{api.base_url}/api/0/{path}/issues/", params=params, headers=api.world.headers())


def _titles(api: IssuesApi, sort: str | None, org: bool = False) -> list[str]:
    response = _page(api, sort, org)
    assert response.status_code == 200, response.text
    return [issue["title"] for issue in response.json()]


@pytest.fixture
def shaped(api: IssuesApi) -> None:
    #                 last seen  first seen  events  users
    _shape(api.group("recent"), 1, 300, 5, 1)
    _shape(api.group("young"), 5, 10, 2, 2)
    _shape(api.group("busy"), 20, 200, 50, 0)
    _shape(api.group("popular"), 30, 100, 3, 4)


@pytest.mark.usefixtures("shaped")
def test_each_sort_orders_the_project_list(api: IssuesApi) -> None:
    assert _titles(api, None) == _titles(api, "date") == ["recent", "young", "busy", "popular"]
    assert _titles(api, "new") == ["young", "popular", "busy", "recent"]
    assert _titles(api, "freq") == ["busy", "recent", "popular", "young"]
    assert _titles(api, "user") == ["popular", "young", "recent", "busy"]
    users = {i["title"]: i["userCount"] for i in _page(api, "user").json()}
    assert users == {"popular": 4, "young": 2, "recent": 1, "busy": 0}


@pytest.mark.usefixtures("shaped")
def test_sorted_pages_follow_the_link_header(api: IssuesApi) -> None:
    seen: list[str] = []
    cursor = ""
    for _ in range(3):
        response = _page(api, "freq", per_page="3", cursor=cursor)
        assert response.status_code == 200, response.text
        seen += [i["title"] for i in response.json()]
        if response.links["next"]["results"] == "false":
            break
        assert "sort=freq" in response.links["next"]["url"]
        cursor = response.links["next"]["cursor"]
    assert seen == ["busy", "recent", "popular", "young"]
    assert response.links["previous"]["results"] == "true"


@pytest.mark.usefixtures("shaped")
def test_the_organization_list_sorts_too(api: IssuesApi) -> None:
    api.org.update(actions=[Organization.features.add({"organizations:global-views"})])
    assert _titles(api, "new", org=True) == ["young", "popular", "busy", "recent"]
    assert _titles(api, "freq", org=True) == ["busy", "recent", "popular", "young"]


@pytest.mark.parametrize("sort", ["priority", "trends", "inbox", "DATE", "nope"])
def test_other_sorts_are_refused(api: IssuesApi, sort: str) -> None:
    for org in (False, True):
        response = _page(api, sort, org=org, project=str(api.project.id)) if org else _page(api, sort)
        assert response.status_code == 400
        assert response.json() == {"detail": "invalid sort"}
