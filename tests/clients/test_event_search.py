"""Searches over every kept event, not an issue's top tag values: the real sentry-sdk sends one
issue's events with eleven customers, so at least one falls outside the issue's ten top values, and
the issue search, the issue's event list and the project's event list find it by tag, user,
wildcard, list and negation; bad queries get Sentry's 400."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import sentry_sdk

from tests.clients.test_sentry_sdk_ingest import _capture_division_error, sdk
from tests.clients.test_sentry_sdk_search import DIVISION, Api
from tests.conftest import World
from tests.integration.test_ingest_api import project_dsn

OTHER = "nightly export failed"


@pytest.fixture
def searched(http: requests.Session, base_url: str, world: World) -> tuple[Api, str]:
    """The division error 21 times: customers c0 to c9 twice each (users u0 to u9), then c10 once
    (user u10); one message event for customer zz without a user."""
    dsn, _ = project_dsn(base_url, world)
    for _ in range(2):  # a block (flushed) of ten events at a time: a loaded machine sends slowly
        with sdk(dsn, environment="production"):
            for number in range(10):
                sentry_sdk.set_tag("customer", f"c{number}")
                sentry_sdk.set_user({"email": f"u{number}@example.com"})
                _capture_division_error()
    with sdk(dsn, environment="production"):
        sentry_sdk.set_tag("customer", "c10")
        sentry_sdk.set_user({"email": "u10@example.com"})
        _capture_division_error()
        sentry_sdk.set_user(None)
        sentry_sdk.set_tag("customer", "zz")
        sentry_sdk.capture_message(OTHER)
    api = Api(http, base_url, world)
    listed = api.ok(f"projects/{world.org}/{world.project}/issues/")
    [division] = [issue for issue in listed if issue["title"] == DIVISION]
    assert division["count"] == "21"
    return api, division["id"]


def _event_tags(event: dict[str, Any]) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in event["tags"]}


def test_a_value_outside_the_top_values_is_found(searched: tuple[Api, str]) -> None:
    api, issue_id = searched
    top = api.ok(f"issues/{issue_id}/tags/customer/")
    assert top["totalValues"] == 21
    outside = {f"c{n}" for n in range(11)} - {v["value"] for v in top["topValues"]}
    assert outside  # what a top-values answer cannot see
    for value in outside:
        assert api.titles(f"customer:{value}") == {DIVISION}
        assert api.titles(f"user.email:u{value[1:]}@example.com") == {DIVISION}
        found = api.ok(f"issues/{issue_id}/events/", query=f"customer:{value}")
        assert [_event_tags(e)["customer"] for e in found] == [value] * (1 if value == "c10" else 2)

    assert api.titles("customer:c10") == {DIVISION}
    assert api.titles("user.email:u10@example.com") == {DIVISION}
    assert api.titles("customer:c1*") == {DIVISION}
    assert api.titles("customer:[c10, zz]") == {DIVISION, OTHER}
    assert api.titles("!customer:c*") == {OTHER}
    assert api.titles("!has:user.email") == {OTHER}
    assert api.titles("customer:c11") == set()
    assert api.titles("customer:c10 user.email:u3@example.com") == set()  # one event must meet both
    org_issues = api.ok(f"organizations/{api.world.org}/issues/", query="customer:c10")
    assert [i["title"] for i in org_issues] == [DIVISION]


def test_the_event_lists_query(searched: tuple[Api, str]) -> None:
    api, issue_id = searched
    [one] = api.ok(f"issues/{issue_id}/events/", query="customer:c10")
    assert _event_tags(one)["customer"] == "c10" and one["user"]["email"] == "u10@example.com"
    twice = api.ok(f"issues/{issue_id}/events/", query="user.email:u3@example.com")
    assert [_event_tags(e)["customer"] for e in twice] == ["c3", "c3"]
    assert len(api.ok(f"issues/{issue_id}/events/", query="customer:c1*")) == 3  # c1 twice, c10
    assert len(api.ok(f"issues/{issue_id}/events/", query="!customer:c1")) == 19
    assert len(api.ok(f"issues/{issue_id}/events/", query="division")) == 21
    assert api.ok(f"issues/{issue_id}/events/", query="customer:zz") == []
    assert len(api.ok(f"issues/{issue_id}/events/")) == 21

    org, project = api.world.org, api.world.project
    found = api.ok(f"projects/{org}/{project}/events/", query="customer:[c10, zz]")
    assert sorted(_event_tags(e)["customer"] for e in found) == ["c10", "zz"]
    assert [e["title"] for e in api.ok(f"projects/{org}/{project}/events/", query="nightly")] == [OTHER]


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("customer:[a, , b]", "Lists should not have empty values"),
        ("customer:", "Empty string after 'customer:'"),
        ("a OR b", 'Boolean statements containing "OR" or "AND" are not supported in this search'),
        ('has:"a b"', 'Invalid format for "has" search: was expecting a field or tag instead'),
    ],
)
def test_a_bad_event_query_is_refused(searched: tuple[Api, str], query: str, detail: str) -> None:
    api, issue_id = searched
    for path in (f"issues/{issue_id}/events/", f"projects/{api.world.org}/{api.world.project}/events/"):
        response = api.get(path, query=query)
        assert (response.status_code, response.json()) == (400, {"detail": detail})
