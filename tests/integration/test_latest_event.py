"""The latest event of an issue: stored by ingestion (newest wins, bounded whatever the SDK sends),
served at Sentry's ``/events/latest/`` routes, moved by a merge and removed with the group."""

from __future__ import annotations

import random
import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from shared.ingest.event import normalize_event
from shared.ingest.pipeline import process_event
from shared.issues.events.latest import latest_event
from shared.issues.updates.merge import merge_groups
from shared.projects.keys import list_project_keys
from shared.storage.accounts import Project
from shared.storage.group_state import GroupLatestEvent
from shared.storage.issues import Group
from tests.conftest import World, make_world
from tests.integration.deletion_support import partition, project_of, row_exists, run_worker_until_idle

ITEM_LIMIT = 400 * 1024


def _payload(**fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "platform": "python",
        "environment": "production",
        "tags": {"browser": "Firefox", "server": "web-1"},
        "exception": {
            "values": [
                {
                    "type": "KeyError",
                    "value": "'user'",
                    "module": "builtins",
                    "stacktrace": {
                        "frames": [
                            {
                                "module": "django.core",
                                "filename": "django/core.py",
                                "function": "get_response",
                                "lineno": 40,
                                "in_app": False,
                            },
                            {
                                "module": "shop.views",
                                "filename": "shop/views.py",
                                "abs_path": "/app/shop/views.py",
                                "function": "checkout",
                                "lineno": 12,
                                "colno": 5,
                                "in_app": True,
                                "pre_context": ["def checkout(request):", "    cart = load()"],
                                "context_line": "    user = request.session['user']",
                                "post_context": ["    return cart"],
                            },
                        ]
                    },
                }
            ]
        },
    }
    payload.update(fields)
    return payload


def _send(project: Project, payload: dict[str, Any], when: datetime | None = None) -> int:
    key = list_project_keys(project)[0]
    outcome = process_event(key, normalize_event(payload, when or datetime.now(UTC)))
    assert outcome.group_id is not None
    return outcome.group_id


def _latest(base_url: str, world: World, group_id: int | str, org: bool = False) -> requests.Response:
    path = f"organizations/{world.org}/issues" if org else "issues"
    return requests.get(f"{base_url}/api/0/{path}/{group_id}/events/latest/", headers=world.headers())


def test_the_latest_event_is_served_in_sentrys_shape(base_url: str, world: World) -> None:
    project = project_of(world)
    payload = _payload()
    group_id = _send(project, payload)

    response = _latest(base_url, world, group_id)

    assert response.status_code == 200, response.text
    event = response.json()
    assert (event["eventID"], event["id"], event["groupID"]) == (
        payload["event_id"],
        payload["event_id"],
        str(group_id),
    )
    assert event["projectID"] == str(project.id) and event["dateCreated"].endswith("Z")
    assert (event["title"], event["culprit"], event["platform"]) == (
        "KeyError: 'user'",
        "shop.views in checkout",
        "python",
    )
    assert event["tags"] == [
        {"key": "browser", "value": "Firefox"},
        {"key": "environment", "value": "production"},
        {"key": "level", "value": "error"},
        {"key": "server", "value": "web-1"},
    ]
    [entry] = event["entries"]
    assert entry["type"] == "exception" and entry["data"]["hasSystemFrames"] is True
    [value] = entry["data"]["values"]
    assert (value["type"], value["value"], value["module"]) == ("KeyError", "'user'", "builtins")
    system, app = value["stacktrace"]["frames"]
    assert (system["function"], system["inApp"], system["context"]) == ("get_response", False, [])
    assert app["filename"] == "shop/views.py" and app["absPath"] == "/app/shop/views.py"
    assert (app["lineNo"], app["colNo"], app["inApp"]) == (12, 5, True)
    assert app["context"] == [
        [10, "def checkout(request):"],
        [11, "    cart = load()"],
        [12, "    user = request.session['user']"],
        [13, "    return cart"],
    ]
    assert value["stacktrace"]["framesOmitted"] is None

    by_org = _latest(base_url, world, group_id, org=True)
    assert by_org.status_code == 200 and by_org.json() == event


def test_a_message_event_has_a_message_entry(base_url: str, world: World) -> None:
    group_id = _send(project_of(world), {"message": "Disk almost full", "level": "warning"})
    event = _latest(base_url, world, group_id).json()
    assert event["entries"] == [
        {"type": "message", "data": {"formatted": "Disk almost full", "message": None, "params": None}}
    ]
    assert event["type"] == "default" and {"key": "level", "value": "warning"} in event["tags"]


def test_only_a_newer_event_replaces_the_stored_one(world: World) -> None:
    project = project_of(world)
    now = datetime.now(UTC)
    newest = _payload()
    group_id = _send(project, newest, now)
    late = _payload()  # delivered after, but older
    assert _send(project, late, now - timedelta(minutes=5)) == group_id
    assert latest_event(group_id)["event_id"] == newest["event_id"]
    newer = _payload()
    assert _send(project, newer, now + timedelta(seconds=30)) == group_id
    assert latest_event(group_id)["event_id"] == newer["event_id"]


def _noise(length: int, rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=length))


def test_a_huge_event_is_stored_bounded(base_url: str, world: World) -> None:
    """Ten chained exceptions of 400 frames with long, incompressible source lines and symbols."""
    rng = random.Random(7)
    frames = [
        {
            "module": _noise(1000, rng),
            "filename": _noise(1000, rng),
            "abs_path": _noise(1000, rng),
            "function": _noise(1000, rng),
            "lineno": 100 + i,
            "in_app": i % 2 == 0,
            "context_line": _noise(1000, rng),
            "pre_context": [_noise(1000, rng) for _ in range(10)],
            "post_context": [_noise(1000, rng) for _ in range(10)],
        }
        for i in range(60)
    ]
    values = [
        {"type": f"Error{n}", "value": _noise(10_000, rng), "stacktrace": {"frames": frames * 7}}
        for n in range(10)
    ]
    payload = _payload(
        exception={"values": values},
        message=_noise(100_000, rng),
        tags={_noise(500, rng): _noise(500, rng) for _ in range(300)},
    )
    group_id = _send(project_of(world), payload)

    row = GroupLatestEvent.get(*GroupLatestEvent.key(group_id), consistent_read=True)
    assert len(row.body) < ITEM_LIMIT // 4
    event = _latest(base_url, world, group_id).json()
    exception = next(e for e in event["entries"] if e["type"] == "exception")
    main = exception["data"]["values"][-1]
    assert main["type"] == "Error9"
    assert 0 < len(main["stacktrace"]["frames"]) <= 50
    start, end = main["stacktrace"]["framesOmitted"]
    # Relay's normalization keeps 250 of the 420 frames (Sentry's stack limit); the page folds the rest
    assert end - start == 250 - len(main["stacktrace"]["frames"])
    assert len(event["tags"]) <= 53 and all(len(t["key"]) <= 200 for t in event["tags"])


def test_missing_hidden_and_unauthenticated_latest_events(base_url: str, world: World) -> None:
    project = project_of(world)
    group = Group.get(*Group.key(_send(project, _payload())), consistent_read=True)
    GroupLatestEvent(*GroupLatestEvent.key(group.id)).delete()
    missing = _latest(base_url, world, group.id)
    assert missing.status_code == 404 and missing.json() == {"detail": "Event not found"}

    stranger = make_world()
    hidden = requests.get(f"{base_url}/api/0/issues/{group.id}/events/latest/", headers=stranger.headers())
    assert hidden.status_code == 404 and hidden.json()["detail"]
    anonymous = requests.get(f"{base_url}/api/0/issues/{group.id}/events/latest/")
    assert anonymous.status_code == 401 and anonymous.json()["detail"]
    wrong_org = requests.get(
        f"{base_url}/api/0/organizations/{stranger.org}/issues/{group.id}/events/latest/",
        headers=stranger.headers(),
    )
    assert wrong_org.status_code == 404


@pytest.mark.usefixtures("no_deletion_delay", "empty_deletion_queue")
def test_a_merge_keeps_the_newest_latest_event_and_deletes_the_childs(world: World) -> None:
    project = project_of(world)
    now = datetime.now(UTC)
    parent_id = _send(project, _payload(fingerprint=["parent"]), now - timedelta(minutes=10))
    _send(project, _payload(fingerprint=["parent"]), now - timedelta(minutes=9))
    newest = _payload(fingerprint=["child"])
    child_id = _send(project, newest, now)

    groups = [Group.get(*Group.key(i), consistent_read=True) for i in (parent_id, child_id)]
    assert merge_groups(groups, world.owner_id)["parent"] == str(parent_id)
    run_worker_until_idle()

    assert latest_event(parent_id)["event_id"] == newest["event_id"]
    assert partition(child_id) == []
    assert not row_exists(GroupLatestEvent.key(child_id))
