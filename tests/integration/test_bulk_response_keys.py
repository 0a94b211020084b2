"""Keys of the bulk issue update's answer that Sentry adds: ``activity`` when one group is resolved
in a release, and ``assignedBy`` beside ``assignedTo``."""

from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.integration.test_issue_update import IssuesApi


@pytest.fixture
def api(http, base_url, world) -> IssuesApi:
    return IssuesApi(http, base_url, world)


def test_one_group_resolved_in_a_release_answers_with_its_activity(api: IssuesApi) -> None:
    version = unique("act")
    api.release(version)
    group = api.group()
    api.put(group, {"isBookmarked": True})
    response = api.bulk(
        [("id", str(group.id))], {"status": "resolved", "statusDetails": {"inRelease": version}}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["statusDetails"]["inRelease"] == version
    newest = body["activity"][0]
    assert newest["type"] == "set_resolved_in_release" and newest["data"] == {"version": version}
    assert newest["user"]["id"] == str(api.world.owner_id) and newest["dateCreated"].endswith("Z")

    plain = api.group("KeyError: plain")
    now = api.bulk([("id", str(plain.id))], {"status": "resolved"}).json()
    assert "activity" not in now  # resolved "now": Sentry adds no activity
    other = api.group("KeyError: other")
    two = api.bulk([("id", str(other.id)), ("id", str(plain.id))], {"status": "resolvedInNextRelease"})
    assert two.status_code == 200 and "activity" not in two.json()  # more than one group


def test_assignment_answers_carry_assigned_by(api: IssuesApi) -> None:
    group = api.group()
    ids = [("id", str(group.id))]
    default = api.bulk(ids, {"assignedTo": str(api.world.owner_id)}).json()
    assert (
        default["assignedTo"]["id"] == str(api.world.owner_id)
        and default["assignedBy"] == "assignee_selector"
    )
    suggested = api.bulk(ids, {"assignedTo": "", "assignedBy": "suggested_assignee"}).json()
    assert suggested["assignedTo"] is None and suggested["assignedBy"] == "suggested_assignee"
    other = api.bulk(ids, {"assignedTo": str(api.world.owner_id), "assignedBy": "a robot"}).json()
    assert other["assignedBy"] is None
    assert "assignedBy" not in api.bulk(ids, {"status": "resolved"}).json()
