"""``stats["24h"]`` of an issue (Sentry's default ``statsPeriod`` of the stream): the events of each
of the last 24 hours, oldest first, as the issue list and the issue page's sparkline read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from tests.conftest import World, events_processed
from tests.integration.test_ingest_api import (
    _auth,
    _envelope,
    _event,
    _event_item,
    _public_key,
    clear_of_hour_end,
    project_dsn,
)


def test_the_last_24_hours_count_each_event_in_its_hour(base_url, world: World) -> None:
    dsn, project_id = project_dsn(base_url, world)
    url, public_key = f"{base_url}/api/{project_id}/envelope/", _public_key(dsn)
    clear_of_hour_end()
    now = datetime.now(UTC)
    two_hours_ago = (now - timedelta(hours=2)).timestamp()
    for timestamp in (now.timestamp(), now.timestamp(), now.timestamp(), two_hours_ago):
        sent = requests.post(
            url, data=_envelope(_event_item(_event(timestamp=timestamp))), headers=_auth(public_key)
        )
        assert sent.status_code == 200, sent.text
    events_processed()

    [issue] = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/issues/", headers=world.headers()
    ).json()
    series = issue["stats"]["24h"]
    assert len(series) == 24
    hours = [hour for hour, _ in series]
    this_hour = int(now.replace(minute=0, second=0, microsecond=0).timestamp())
    assert hours == [this_hour - 3600 * i for i in range(23, -1, -1)]
    assert [count for _, count in series[-3:]] == [1, 0, 3]
    assert sum(count for _, count in series) == int(issue["count"]) == 4

    detail = requests.get(f"{base_url}/api/0/issues/{issue['id']}/", headers=world.headers()).json()
    assert detail["stats"]["24h"] == issue["stats"]["24h"]
    days = detail["stats"]["30d"]  # the details add Sentry's 30 daily buckets
    today = int(now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())
    assert len(days) == 30 and days[-1][0] == today
    assert sum(count for _, count in days) == 4

    daily = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/issues/",
        params={"groupStatsPeriod": "14d", "statsPeriod": "1h"},
        headers=world.headers(),
    )
    assert daily.status_code == 200, daily.text
    [listed] = daily.json()
    assert list(listed["stats"]) == ["14d"] and len(listed["stats"]["14d"]) == 14
    assert sum(count for _, count in listed["stats"]["14d"]) == 4
    assert listed["count"] == "3" and listed["lifetime"]["count"] == "4"  # the last hour, and in all
    bad = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/issues/",
        params={"groupStatsPeriod": "1y"},
        headers=world.headers(),
    )
    assert bad.status_code == 400
    assert bad.json() == {"detail": "Invalid stats_period. Valid choices are '', '24h', '14d', and 'auto'"}


def test_an_issue_without_recent_events_has_24_empty_hours(base_url, world: World) -> None:
    from shared.auth.access import Principal, organization_access
    from shared.issues.groups import create_group
    from shared.projects.service import get_project

    access = organization_access(Principal.acting_user(world.owner_id), world.org)
    group = create_group(get_project(access, world.project), "Quiet")
    detail = requests.get(f"{base_url}/api/0/issues/{group.id}/", headers=world.headers()).json()
    assert [count for _, count in detail["stats"]["24h"]] == [0] * 24


def _send(base_url: str, world: World, *events: dict) -> None:
    dsn, project_id = project_dsn(base_url, world)
    url, public_key = f"{base_url}/api/{project_id}/envelope/", _public_key(dsn)
    for event in events:
        sent = requests.post(url, data=_envelope(_event_item(event)), headers=_auth(public_key))
        assert sent.status_code == 200, sent.text
    events_processed()


def _listed(base_url: str, world: World) -> dict[str, dict]:
    from local.metering import count_requests

    with count_requests() as calls:
        response = requests.get(
            f"{base_url}/api/0/projects/{world.org}/{world.project}/issues/", headers=world.headers()
        )
    assert response.status_code == 200, response.text
    return {"calls": dict(calls), **{issue["title"].split(": ", 1)[1]: issue for issue in response.json()}}


def test_issues_whose_events_are_all_of_their_current_hour_are_listed_without_a_query_each(
    base_url, world: World
) -> None:
    """A page of issues seen only this hour (a burst of new ones) reads no hourly rows: their counts
    and users are on the group and tag summary items. An issue with an event of an older hour
    (counted after the group, so its first seen stays in this hour) still shows that hour."""
    clear_of_hour_end()
    now = datetime.now(UTC)
    late = (now - timedelta(hours=2)).timestamp()

    def event(value: str, user: str, timestamp: float = now.timestamp()) -> dict:
        return _event(
            timestamp=timestamp,
            user={"id": user},
            fingerprint=[value],
            exception={"values": [{"type": "BurstError", "value": value}]},
        )

    _send(base_url, world, *[event(f"new-{i}", f"u{i}") for i in range(6)], event("new-0", "other"))
    first = _listed(base_url, world)
    assert first["calls"].get("Query", 0) <= 1, first["calls"]  # the listing index, none per issue
    assert (first["new-0"]["count"], first["new-0"]["userCount"]) == ("2", 2)
    for i in range(1, 6):
        issue = first[f"new-{i}"]
        assert (issue["count"], issue["userCount"], issue["stats"]["24h"][-1][1]) == ("1", 1, 1)

    _send(base_url, world, event("new-1", "late-user", late), event("new-1", "u1"))
    second = _listed(base_url, world)
    assert second["calls"].get("Query", 0) == first["calls"].get("Query", 0) + 1, second["calls"]
    issue = second["new-1"]
    assert [count for _, count in issue["stats"]["24h"][-3:]] == [1, 0, 2]
    assert (issue["count"], issue["userCount"]) == ("3", 2)
    assert second["new-2"]["count"] == "1"
