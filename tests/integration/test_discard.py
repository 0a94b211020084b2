"""Discard through the issue PUT (single and bulk) on the local API, then the deletion worker on real
SQS messages: tombstones kept, hashes pointing at them, every other row of the group gone."""

from __future__ import annotations

import pytest
import requests

from local.metering import count_requests
from shared.ingest.event import normalize_event
from shared.ingest.pipeline import Outcome, process_event
from shared.issues.deletion.discard import discard_groups
from shared.issues.enums import GroupStatus
from shared.projects.keys import list_project_keys
from shared.storage.base import utcnow
from shared.storage.group_state import GroupTombstone
from shared.storage.issues import Group
from tests.conftest import World
from tests.integration.deletion_support import (
    get_hash,
    group_hashes,
    owner_access,
    partition,
    populated_group,
    project_of,
    receive,
    row_exists,
    run_worker_until_idle,
    short_id_pointer_exists,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("no_deletion_delay", "empty_deletion_queue")


def test_discard_tombstones_the_group_and_the_worker_deletes_the_rest(
    world: World, base_url: str, http: requests.Session
) -> None:
    project = project_of(world, discard=True)
    group = populated_group(project, "TypeError: x is undefined", world.owner_id)
    neighbour = populated_group(project, "KeyError: 'id'", world.owner_id)
    before = snapshot(neighbour.id)
    hashes = group_hashes(group)

    with count_requests() as calls:
        response = http.put(
            f"{base_url}/api/0/issues/{group.id}/", json={"discard": True}, headers=world.headers()
        )

    assert response.status_code == 204, response.text
    # reads: token, group, organization (pointer + row), member, project (pointer + row) | projects,
    # then the hash references twice (discard, then delete_group_list) | writes: the tombstone, two
    # hashes pointed at it (the pipeline's second, conditional pass changes nothing), the pending
    # mark, the inbox row, one job
    assert calls == {
        "GetItem": 7,
        "Query": 3,
        "PutItem": 1,
        "UpdateItem": 4,
        "TransactWriteItems": 1,
        "BatchWriteItem": 1,
        "SendMessage": 1,
    }
    tombstone = GroupTombstone.get(*GroupTombstone.key(group.id), consistent_read=True)
    assert (tombstone.message, tombstone.culprit, tombstone.level) == (
        "TypeError: x is undefined",
        "app.views in handler",
        "error",
    )
    assert (tombstone.id, tombstone.project_id, tombstone.actor_id) == (
        group.id,
        project.id,
        world.owner_id,
    )
    for hash_value in hashes:
        stored = get_hash(project.id, hash_value)
        assert (stored.group_id, stored.tombstone_id) == (None, tombstone.id)
    assert Group.get(*Group.key(group.id), consistent_read=True).status == GroupStatus.PENDING_DELETION
    gone = http.get(f"{base_url}/api/0/issues/{group.id}/", headers=world.headers())
    assert gone.status_code == 404

    assert run_worker_until_idle() >= 1

    assert partition(group.id) == []
    assert not short_id_pointer_exists(group)
    assert row_exists(GroupTombstone.key(group.id))
    assert [get_hash(project.id, h).tombstone_id for h in hashes] == [tombstone.id, tombstone.id]
    assert snapshot(neighbour.id) == before


def test_bulk_discard_of_two_groups(world: World, base_url: str, http: requests.Session) -> None:
    project = project_of(world, discard=True)
    first = populated_group(project, "first", world.owner_id)
    second = populated_group(project, "second", world.owner_id)

    response = http.put(
        f"{base_url}/api/0/organizations/{world.org}/issues/?id={first.id}&id={second.id}",
        json={"discard": True},
        headers=world.headers(),
    )

    assert response.status_code == 204, response.text
    run_worker_until_idle()
    assert partition(first.id) == [] and partition(second.id) == []
    assert row_exists(GroupTombstone.key(first.id)) and row_exists(GroupTombstone.key(second.id))


@pytest.mark.parametrize(
    ("discard_feature", "category", "body", "expected"),
    [
        (False, None, {"discard": True}, {"detail": ["You do not have that feature enabled"]}),
        (True, 2, {"discard": True}, ["Only error issues can be discarded."]),
    ],
    ids=["feature-disabled", "not-an-error-issue"],
)
def test_refused_discards_write_nothing(
    world: World,
    base_url: str,
    http: requests.Session,
    discard_feature: bool,
    category: int | None,
    body: dict,
    expected: object,
) -> None:
    project = project_of(world, discard=discard_feature)
    group = populated_group(project, "refused", world.owner_id)
    if category is not None:
        group.update(actions=[Group.category.set(category)])
    before = snapshot(group.id)
    hashes = group_hashes(group)

    response = http.put(f"{base_url}/api/0/issues/{group.id}/", json=body, headers=world.headers())

    assert response.status_code == 400
    assert response.json() == expected
    assert snapshot(group.id) == before
    assert not row_exists(GroupTombstone.key(group.id))
    assert [get_hash(project.id, h).group_id for h in hashes] == [group.id] * 2
    assert receive() == []


def test_discard_with_another_attribute_is_refused(
    world: World, base_url: str, http: requests.Session
) -> None:
    project = project_of(world, discard=True)
    group = populated_group(project, "mixed", world.owner_id)
    before = snapshot(group.id)

    response = http.put(
        f"{base_url}/api/0/issues/{group.id}/",
        json={"discard": True, "status": "resolved"},
        headers=world.headers(),
    )

    assert response.status_code == 400
    assert "Other attributes cannot be updated when discarding" in response.text
    assert snapshot(group.id) == before
    assert not row_exists(GroupTombstone.key(group.id))


def test_a_retried_discard_finishes_a_half_done_one(world: World) -> None:
    """The tombstone was written but the request died: discarding again completes the work."""
    project = project_of(world, discard=True)
    group = populated_group(project, "half", world.owner_id)
    discard_groups(owner_access(world), [group], world.owner_id)
    tombstone = GroupTombstone.get(*GroupTombstone.key(group.id), consistent_read=True)
    group.update(actions=group.status_actions(GroupStatus.UNRESOLVED, None))  # as if it never got queued
    live = Group.get(*Group.key(group.id), consistent_read=True)

    discard_groups(owner_access(world), [live], world.owner_id)

    assert GroupTombstone.get(*GroupTombstone.key(group.id), consistent_read=True).id == tombstone.id
    run_worker_until_idle()
    assert partition(group.id) == []


def test_events_with_a_discarded_fingerprint_are_dropped(
    world: World, base_url: str, http: requests.Session
) -> None:
    project = project_of(world, discard=True)
    key = list_project_keys(project)[0]

    def send() -> Outcome:
        payload = {"message": "noisy failure", "fingerprint": ["noisy"]}
        return process_event(key, normalize_event(payload, utcnow()))

    group_id = send().group_id
    response = http.put(
        f"{base_url}/api/0/issues/{group_id}/", json={"discard": True}, headers=world.headers()
    )
    assert response.status_code == 204
    run_worker_until_idle()

    dropped = send()

    assert (dropped.discarded, dropped.group_id) == (True, None)
    tombstone = GroupTombstone.get(*GroupTombstone.key(int(group_id)), consistent_read=True)
    assert (tombstone.id, tombstone.times_discarded) == (group_id, 1)
    assert partition(int(group_id)) == []
