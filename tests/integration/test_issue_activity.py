"""``activity`` of the issue details: what happened to the issue, newest first, with who did it."""

from __future__ import annotations

import requests

from tests.conftest import World, unique


def _new_issue(world: World) -> int:
    from shared.auth.access import Principal, organization_access
    from shared.issues.groups import create_group
    from shared.projects.service import get_project

    access = organization_access(Principal.acting_user(world.owner_id), world.org)
    return create_group(get_project(access, world.project), "Boom").id


def test_updates_show_in_the_activity_newest_first(base_url, world: World) -> None:
    issue_id = _new_issue(world)
    url = f"{base_url}/api/0/issues/{issue_id}/"
    assert requests.get(url, headers=world.headers()).json()["activity"] == []
    for body in ({"inbox": False}, {"status": "resolved"}, {"status": "unresolved"}):
        answer = requests.put(url, json=body, headers=world.headers())
        assert answer.status_code == 200, answer.text

    activity = requests.get(url, headers=world.headers()).json()["activity"]
    # Reviewing a new issue also makes it ongoing (written just after, by the system: no user).
    types = ["set_unresolved", "set_resolved", "auto_set_ongoing", "mark_reviewed"]
    assert [a["type"] for a in activity] == types
    assert activity[2]["user"] is None and activity[2]["data"] == {"manually": True}
    assert all(activity[i]["user"]["id"] == str(world.owner_id) for i in (0, 1, 3))
    assert all(a["dateCreated"].endswith("Z") and a["id"] for a in activity)
    assert activity[0]["dateCreated"] >= activity[-1]["dateCreated"]

    in_org = f"{base_url}/api/0/organizations/{world.org}/issues/{issue_id}/"
    assert requests.get(in_org, headers=world.headers()).json()["activity"] == activity


def test_the_issue_list_carries_no_activity(base_url, world: World) -> None:
    _new_issue(world)
    [issue] = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/issues/", headers=world.headers()
    ).json()
    assert "activity" not in issue


def add_unknown_activity(group_id: int) -> None:
    """A row of a type this version has no name for (as a newer version might write one)."""
    from shared.issues.activity import new_activity
    from shared.issues.enums import ActivityType
    from shared.storage.issues import Group

    row = new_activity(Group.get(*Group.key(group_id)), ActivityType.NOTE, data={"text": "from the future"})
    row.type = 999
    row.save()


def test_an_unknown_activity_type_answers_as_its_number(base_url, world: World) -> None:
    issue_id = _new_issue(world)
    add_unknown_activity(issue_id)
    for url in (
        f"{base_url}/api/0/issues/{issue_id}/",
        f"{base_url}/api/0/organizations/{world.org}/issues/{issue_id}/",
    ):
        answer = requests.get(url, headers=world.headers())
        assert answer.status_code == 200, answer.text
        [entry] = answer.json()["activity"]
        assert entry["type"] == 999 and entry["data"] == {"text": "from the future"}
        assert entry["user"] is None and entry["id"]


def test_the_update_answer_serializes_activity_as_the_details_do(base_url, world: World) -> None:
    from tests.integration.test_issue_update import IssuesApi

    api = IssuesApi(requests.Session(), base_url, world)
    version = unique("feed")
    api.release(version)
    group = api.group()
    add_unknown_activity(group.id)
    answer = api.bulk(
        [("id", str(group.id))], {"status": "resolved", "statusDetails": {"inRelease": version}}
    )
    assert answer.status_code == 200, answer.text
    activity = answer.json()["activity"]
    assert [a["type"] for a in activity] == ["set_resolved_in_release", 999]
    assert api.get(group).json()["activity"] == activity
