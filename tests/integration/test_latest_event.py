"""The latest event of an issue at Sentry's ``/events/latest/`` routes: the newest the event store
keeps (no item of its own written); an issue counted before the store answers with the item it
kept then, which a merge moves and the group's deletion removes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from shared.ingest.batch import store_batch
from shared.ingest.event import normalize_event
from shared.ingest.grouping import event_hash
from shared.ingest.queue import encode_event
from shared.issues.groups import create_group
from shared.issues.updates.merge import merge_groups
from shared.storage.accounts import Project
from shared.storage.group_state import GroupHash, GroupLatestEvent
from shared.storage.issues import Group
from tests.conftest import World, events_queue_record, make_world
from tests.integration.deletion_support import (
    keep_legacy_latest_event,
    partition,
    project_of,
    row_exists,
    run_worker_until_idle,
)


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
    """Process ``payload`` as the processor does (kept in the event store); its group's id."""
    if when is not None:
        payload = {**payload, "timestamp": when.isoformat()}
    record = events_queue_record(encode_event(project.id, project.org_id, datetime.now(UTC), payload))
    assert store_batch([record]) == set()
    hash_value = event_hash(normalize_event(payload, datetime.now(UTC)))
    return GroupHash.get(*GroupHash.key(project.id, hash_value), consistent_read=True).group_id


def _oldest(base_url: str, world: World, group_id: int) -> requests.Response:
    return requests.get(f"{base_url}/api/0/issues/{group_id}/events/oldest/", headers=world.headers())


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


def test_the_newest_kept_event_is_the_latest_and_no_item_is_written(base_url: str, world: World) -> None:
    project = project_of(world)
    now = datetime.now(UTC)
    newest = _payload()
    group_id = _send(project, newest, now)
    late = _payload()  # delivered after, but older
    assert _send(project, late, now - timedelta(minutes=5)) == group_id
    assert _latest(base_url, world, group_id).json()["eventID"] == newest["event_id"]
    newer = _payload()
    assert _send(project, newer, now + timedelta(seconds=30)) == group_id
    assert _latest(base_url, world, group_id).json()["eventID"] == newer["event_id"]
    assert not row_exists(GroupLatestEvent.key(group_id))


def test_an_issue_counted_before_the_store_answers_with_its_kept_event(base_url: str, world: World) -> None:
    project = project_of(world)
    group = create_group(project, "Disk almost full")
    kept_id = uuid.uuid4().hex
    keep_legacy_latest_event(group.id, kept_id, datetime.now(UTC) - timedelta(days=1), "Disk almost full")

    response = _latest(base_url, world, group.id)

    assert response.status_code == 200, response.text
    event = response.json()
    assert (event["eventID"], event["groupID"], event["title"]) == (
        kept_id,
        str(group.id),
        "Disk almost full",
    )
    assert event["release"] is None and event["dateReceived"] == event["dateCreated"]
    oldest = _oldest(base_url, world, group.id)  # only the latest was kept then
    assert oldest.status_code == 404 and oldest.json() == {"detail": "Event not found"}


def test_missing_hidden_and_unauthenticated_latest_events(base_url: str, world: World) -> None:
    project = project_of(world)
    group = create_group(project, "Nothing kept")
    missing = _latest(base_url, world, group.id)
    assert missing.status_code == 404 and missing.json() == {"detail": "Event not found"}
    group = Group.get(*Group.key(_send(project, _payload())), consistent_read=True)

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
def test_a_merge_keeps_the_newer_kept_latest_event_and_deletes_the_childs(
    base_url: str, world: World
) -> None:
    """Issues counted before the store: the parent answers with the newer of the two kept events."""
    project = project_of(world)
    now = datetime.now(UTC)
    older, newer = create_group(project, "older"), create_group(project, "newer")
    keep_legacy_latest_event(older.id, uuid.uuid4().hex, now - timedelta(minutes=10), "older")
    newest = uuid.uuid4().hex
    keep_legacy_latest_event(newer.id, newest, now, "newer")

    parent_id = int(merge_groups([older, newer], world.owner_id)["parent"])
    [child_id] = {older.id, newer.id} - {parent_id}
    run_worker_until_idle()

    assert _latest(base_url, world, parent_id).json()["eventID"] == newest
    assert partition(child_id) == []
    assert not row_exists(GroupLatestEvent.key(child_id))
