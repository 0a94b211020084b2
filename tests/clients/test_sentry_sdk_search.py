"""An SDK-only project (no sentry-cli): the real sentry-sdk's events create releases and
environments, give issues their first and last release and their tags, and Sentry's issue search
finds the issues by them; bad queries get Sentry's 400."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import sentry_sdk

from shared.issues.enums import GroupResolutionStatus, GroupResolutionType, GroupStatus
from shared.storage.issues import GroupResolution
from tests.clients.test_sentry_sdk_ingest import _capture_division_error, sdk
from tests.conftest import World, unique
from tests.integration.test_ingest_api import project_dsn, project_groups


class Api:
    def __init__(self, http: requests.Session, base_url: str, world: World) -> None:
        self.http, self.base_url, self.world = http, base_url, world

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.http.get(f"{self.base_url}/api/0/{path}", params=params, headers=self.world.headers())

    def ok(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def titles(self, query: str, **params: Any) -> set[str]:
        issues = self.ok(f"projects/{self.world.org}/{self.world.project}/issues/", query=query, **params)
        return {issue["title"] for issue in issues}


DIVISION = "ZeroDivisionError: division by zero"
CHECKOUT = "checkout failed"


@pytest.fixture
def sdk_project(http, base_url: str, world: World) -> tuple[Api, str, str]:
    """Two issues from two releases and two environments, sent by the SDK: the division error three
    times (twice in 1.2.3/production as jane, once in 1.2.4/staging), the checkout message once."""
    dsn, _ = project_dsn(base_url, world)
    package = unique("js-app")
    old, new = f"{package}@1.2.3", f"{package}@1.2.4"
    with sdk(dsn, release=old, environment="production"):
        sentry_sdk.set_user({"email": "jane@example.com"})
        sentry_sdk.set_tag("flavor", "vanilla")
        _capture_division_error()
        _capture_division_error()
        sentry_sdk.set_tag("flavor", "chocolate")
        sentry_sdk.capture_message(CHECKOUT, level="warning")
    with sdk(dsn, release=new, environment="staging"):
        sentry_sdk.set_user({"id": "7"})
        sentry_sdk.set_tag("flavor", "vanilla")
        _capture_division_error()
    return Api(http, base_url, world), old, new


def _issue(api: Api, title: str) -> dict[str, Any]:
    [issue] = [
        i for i in api.ok(f"projects/{api.world.org}/{api.world.project}/issues/") if i["title"] == title
    ]
    return issue


def test_events_create_releases_environments_and_tags(sdk_project: tuple[Api, str, str]) -> None:
    api, old, new = sdk_project
    org, project = api.world.org, api.world.project
    release = api.ok(f"organizations/{org}/releases/{old}/")
    assert release["version"] == old and release["newGroups"] == 2
    assert release["firstEvent"] is not None and release["lastEvent"] is not None
    assert [p["slug"] for p in release["projects"]] == [project]
    assert api.ok(f"organizations/{org}/releases/{new}/")["newGroups"] == 0
    assert {r["version"] for r in api.ok(f"projects/{org}/{project}/releases/")} == {old, new}

    division = _issue(api, DIVISION)
    details = api.ok(f"issues/{division['id']}/")
    assert details["firstRelease"]["version"] == old and details["lastRelease"]["version"] == new
    assert details["count"] == "3" and details["userCount"] == 2
    assert set(details["stats"]) == {"24h", "30d"} and sum(c for _, c in details["stats"]["24h"]) == 3
    assert details["seenBy"] == [] and details["participants"] == []
    keys = {tag["key"]: tag["totalValues"] for tag in details["tags"]}
    assert keys["environment"] == keys["release"] == keys["level"] == keys["user"] == 3
    assert keys["flavor"] == 3

    environment = api.ok(f"issues/{division['id']}/tags/environment/")
    assert (environment["key"], environment["name"], environment["totalValues"]) == (
        "environment",
        "Environment",
        3,
    )
    assert [(v["value"], v["count"]) for v in environment["topValues"]] == [("production", 2), ("staging", 1)]
    values = api.ok(f"issues/{division['id']}/tags/user/values/", sort="count")
    assert [(v["value"], v["count"]) for v in values] == [("email:jane@example.com", 2), ("id:7", 1)]
    assert all(v["firstSeen"] and v["lastSeen"] for v in values)
    missing = api.get(f"issues/{division['id']}/tags/nope/values/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Tag key not found."})

    checkout = api.ok(f"issues/{_issue(api, CHECKOUT)['id']}/")
    assert checkout["firstRelease"]["version"] == checkout["lastRelease"]["version"] == old


def test_environments_and_the_environment_filter(sdk_project: tuple[Api, str, str]) -> None:
    api, _, _ = sdk_project
    org, project = api.world.org, api.world.project
    listed = api.ok(f"projects/{org}/{project}/environments/")
    assert [(e["name"], e["isHidden"]) for e in listed] == [("production", False), ("staging", False)]
    assert [e["name"] for e in api.ok(f"organizations/{org}/environments/")] == ["production", "staging"]
    url = f"{api.base_url}/api/0/projects/{org}/{project}/environments/staging/"
    hidden = api.http.put(url, json={"isHidden": True}, headers=api.world.headers())
    assert hidden.status_code == 200 and hidden.json()["isHidden"] is True
    refused = api.http.put(url, json={"isHidden": "maybe"}, headers=api.world.headers())
    assert refused.status_code == 400 and "isHidden" in refused.json()
    assert [e["name"] for e in api.ok(f"projects/{org}/{project}/environments/")] == ["production"]
    assert [e["name"] for e in api.ok(f"projects/{org}/{project}/environments/", visibility="hidden")] == [
        "staging"
    ]
    assert len(api.ok(f"projects/{org}/{project}/environments/", visibility="all")) == 2
    bad = api.get(f"projects/{org}/{project}/environments/", visibility="sometimes")
    assert bad.status_code == 400
    assert bad.json() == {
        "detail": "Invalid value for 'visibility', valid values are: ['all', 'hidden', 'visible']"
    }

    assert api.titles("", environment="staging") == {DIVISION}
    assert api.titles("", environment=["staging", "production"]) == {DIVISION, CHECKOUT}
    assert api.titles("", environment="nope") == set()


def _events(stats: list[list[int]]) -> int:
    return sum(count for _, count in stats)


def test_the_environment_narrows_the_counts_of_lists_and_details(sdk_project: tuple[Api, str, str]) -> None:
    api, _, _ = sdk_project
    org, project = api.world.org, api.world.project
    division = _issue(api, DIVISION)
    path = f"projects/{org}/{project}/issues/"
    counts = {i["title"]: i["count"] for i in api.ok(path, query="", environment="production")}
    assert counts == {DIVISION: "2", CHECKOUT: "1"}
    [staging] = api.ok(path, query="", environment="staging")
    assert (staging["title"], staging["count"]) == (DIVISION, "1")
    [both] = [
        i for i in api.ok(path, query="", environment=["staging", "production"]) if i["title"] == DIVISION
    ]
    assert both["count"] == "3"
    assert api.ok(f"issues/{division['id']}/", environment="staging")["count"] == "1"
    assert api.ok(f"issues/{division['id']}/")["count"] == "3"
    # a name no event's environment can be (a control character) matches nothing, without a 400
    odd = api.ok(f"issues/{division['id']}/", environment="pro\x13duction")
    assert (odd["count"], odd["userCount"], _events(odd["stats"]["24h"])) == ("0", 0, 0)
    # users and the stats series narrow too: jane twice in production, user 7 once in staging
    assert (division["userCount"], _events(division["stats"]["24h"])) == (2, 3)
    [production] = [i for i in api.ok(path, query="", environment="production") if i["title"] == DIVISION]
    assert (production["userCount"], _events(production["stats"]["24h"])) == (1, 2)
    assert (both["userCount"], _events(both["stats"]["24h"])) == (2, 3)
    details = api.ok(f"issues/{division['id']}/", environment="production")
    assert (details["userCount"], _events(details["stats"]["24h"]), _events(details["stats"]["30d"])) == (
        1,
        2,
        2,
    )
    # with a statsPeriod the period's counts and the lifetime's both narrow, as the series asked
    [periodic] = api.ok(path, query="", environment="staging", statsPeriod="24h", groupStatsPeriod="14d")
    assert (periodic["count"], periodic["userCount"], _events(periodic["stats"]["14d"])) == ("1", 1, 1)
    assert (periodic["lifetime"]["count"], periodic["lifetime"]["userCount"]) == ("1", 1)
    assert len(periodic["stats"]["14d"]) == 14 and len(production["stats"]["24h"]) == 24


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("release:{old}", {DIVISION, CHECKOUT}),
        ("release:{new}", {DIVISION}),
        ("release:latest", {DIVISION}),
        ("release:*@1.2.*", {DIVISION, CHECKOUT}),
        ("!release:{new}", {DIVISION, CHECKOUT}),  # an event of another release: the division's in {old}
        ("first-release:{old}", {DIVISION, CHECKOUT}),
        ("firstRelease:{new}", set()),
        ("environment:staging", {DIVISION}),
        ("level:warning", {CHECKOUT}),
        ("!level:warning", {DIVISION}),
        ("level:[warning, fatal]", {CHECKOUT}),
        ("flavor:vanilla", {DIVISION}),
        ("!flavor:vanilla", {CHECKOUT}),
        ('flavor:"chocolate"', {CHECKOUT}),
        ("user.email:jane@example.com", {DIVISION, CHECKOUT}),
        ("user.id:7", {DIVISION}),
        ("has:flavor", {DIVISION, CHECKOUT}),
        ("!has:user.id", {DIVISION, CHECKOUT}),  # jane's division events have no user id
        ("times_seen:>2", {DIVISION}),
        ("times_seen:<=1", {CHECKOUT}),
        ("timesSeen:[1, 5]", {CHECKOUT}),
        ("age:-1h", {DIVISION, CHECKOUT}),
        ("age:+1h", set()),
        ("lastSeen:-1h is:unresolved", {DIVISION, CHECKOUT}),
        ("firstSeen:>2020-01-01", {DIVISION, CHECKOUT}),
        ("division", {DIVISION}),
        ('"checkout failed"', {CHECKOUT}),
        ("is:new", {DIVISION, CHECKOUT}),
        ("is:resolved", set()),
        ("is:unassigned assigned:none", {DIVISION, CHECKOUT}),
        ("assigned_or_suggested:me", set()),
    ],
)
def test_search(sdk_project: tuple[Api, str, str], query: str, expected: set[str]) -> None:
    api, old, new = sdk_project
    assert api.titles(query.format(old=old, new=new)) == expected
    org_issues = api.ok(f"organizations/{api.world.org}/issues/", query=query.format(old=old, new=new))
    assert {issue["title"] for issue in org_issues} == expected


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        (
            "times_seen:many",
            "times_seen: Invalid number: many. Expected number then optional k, m, or b suffix (e.g. 500k).",
        ),
        ("is:sleeping", 'Invalid value for "is" search, valid values are '),
        ("is:[resolved, ignored]", '"in" syntax invalid for "is" search'),
        (
            "level:error OR level:fatal",
            'Boolean statements containing "OR" or "AND" are not supported in this search',
        ),
        ("release:", "Empty string after 'release:'"),
        ('flavor:van"illa', "Invalid quote at 'van\"illa': quotes must enclose text or be escaped."),
        ("flavor:[a, , b]", "Lists should not have empty values"),
        ("issue.category:potato", "Invalid category value of 'potato'"),
        (
            "age:yesterday",
            "first_seen: Invalid date: yesterday. Expected +/-duration (e.g. +1h) or ISO 8601-like (e.g. ",
        ),
        (
            "(level:error",
            "Parse error at '(leve' (column 0). This is commonly caused by unmatched parentheses. "
            "Enclose any text in double quotes.",
        ),
        ('has:"a b"', 'Invalid format for "has" search: was expecting a field or tag instead'),
        ("issue.type:potato", "Invalid type value of 'potato'"),
        ("x" * 2001, "Query is too long: at most 2000 characters"),
    ],
)
def test_bad_queries_get_sentrys_400(http, base_url: str, world: World, query: str, detail: str) -> None:
    response = Api(http, base_url, world).get(f"projects/{world.org}/{world.project}/issues/", query=query)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


def test_a_bad_stats_period_is_400(http, base_url: str, world: World) -> None:
    path = f"projects/{world.org}/{world.project}/issues/"
    response = Api(http, base_url, world).get(path, statsPeriod="yesterday")
    assert (response.status_code, response.json()) == (400, {"detail": "Invalid statsPeriod"})


def test_resolved_in_next_release_waits_for_the_projects_first_release(
    http, base_url: str, world: World
) -> None:
    dsn, project_id = project_dsn(base_url, world)
    with sdk(dsn, release=None):
        _capture_division_error()
    [group] = project_groups(project_id)
    api = Api(http, base_url, world)
    response = http.put(
        f"{base_url}/api/0/issues/{group.id}/",
        json={"status": "resolvedInNextRelease"},
        headers=world.headers(),
    )
    assert response.status_code == 200, response.text
    assert (
        response.json()["status"] == "resolved" and response.json()["statusDetails"]["inNextRelease"] is True
    )
    version = unique("app") + "@2.0.0"
    with sdk(dsn, release=version):
        sentry_sdk.capture_message("the release is out")
    resolution = GroupResolution.get(*GroupResolution.key(group.id))
    assert (resolution.type, resolution.status, resolution.release_version) == (
        GroupResolutionType.IN_RELEASE,
        GroupResolutionStatus.RESOLVED,
        version,
    )
    details = api.ok(f"issues/{group.id}/")
    assert details["status"] == "resolved" and details["statusDetails"]["inRelease"] == version
    assert next(g for g in project_groups(project_id) if g.id == group.id).status == GroupStatus.RESOLVED


def test_the_environment_narrows_the_freq_and_user_sorts(http, base_url: str, world: World) -> None:
    """A: three users in staging and one in production; B: two users in production. Over every
    environment A comes first by events and by users; in production B does."""
    dsn, _ = project_dsn(base_url, world)
    a, b = unique("sorted-a"), unique("sorted-b")
    for environment, title, users in (("staging", a, ["1", "2", "3"]), ("production", a, ["4"])):
        with sdk(dsn, environment=environment):
            for user in users:
                sentry_sdk.set_user({"id": user})
                sentry_sdk.capture_message(title)
    with sdk(dsn, environment="production"):
        for user in ("5", "6"):
            sentry_sdk.set_user({"id": user})
            sentry_sdk.capture_message(b)
    api = Api(http, base_url, world)
    path = f"projects/{world.org}/{world.project}/issues/"
    for sort in ("freq", "user"):
        assert [i["title"] for i in api.ok(path, query="", sort=sort)] == [a, b]
        narrowed = api.ok(path, query="", sort=sort, environment="production")
        assert [(i["title"], i["count"], i["userCount"]) for i in narrowed] == [(b, "2", 2), (a, "1", 1)]
