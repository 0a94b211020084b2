"""Merge through the bulk issue PUT, then the merge job on real SQS messages: one group left with
the summed counts, the children's hashes on the parent, later events landing there."""

from __future__ import annotations

import pytest
import requests
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from local.metering import count_requests
from shared.errors import BadRequest
from shared.ingest.event import normalize_event
from shared.ingest.pipeline import process_event
from shared.issues.deletion import queue as deletion
from shared.issues.enums import ActivityType, GroupStatus
from shared.issues.events.counts import events_since, users_seen
from shared.issues.groups import create_group
from shared.issues.updates import merge
from shared.issues.updates.merge import merge_groups
from shared.projects.keys import list_project_keys
from shared.storage.accounts import Project
from shared.storage.base import utcnow
from shared.storage.group_state import GroupHashRef
from shared.storage.issues import Activity, Group, group_pk
from tests.conftest import World
from tests.integration.deletion_support import (
    acknowledge,
    deliver,
    get_hash,
    partition,
    project_of,
    receive,
    row_exists,
    run_worker_until_idle,
)

pytestmark = pytest.mark.usefixtures("no_deletion_delay", "empty_deletion_queue")


def _send(project: Project, fingerprint: str, user: str) -> int:
    """One event through the ingestion pipeline; returns the group it landed on."""
    key = list_project_keys(project)[0]
    payload = {"message": f"failure {fingerprint}", "fingerprint": [fingerprint], "user": {"id": user}}
    outcome = process_event(key, normalize_event(payload, utcnow()))
    assert outcome.group_id is not None
    return outcome.group_id


def _group(group_id: int) -> Group:
    return Group.get(*Group.key(group_id), consistent_read=True)


def test_merge_of_three_groups(world: World, base_url: str, http: requests.Session) -> None:
    project = project_of(world)
    counts = {"fp-a": 5, "fp-b": 3, "fp-c": 2}
    ids = {fp: {_send(project, fp, f"user-{fp}-{i}") for i in range(n)} for fp, n in counts.items()}
    assert all(len(found) == 1 for found in ids.values())
    parent, first_child, second_child = (ids[fp].pop() for fp in ("fp-a", "fp-b", "fp-c"))
    child_hashes = {
        sk.removeprefix("HASH#")
        for child in (first_child, second_child)
        for _, sk in partition(child)
        if sk.startswith("HASH#")
    }
    assert len(child_hashes) == 2

    with count_requests() as calls:
        response = http.put(
            f"{base_url}/api/0/organizations/{world.org}/issues/?id={second_child}&id={parent}&id={first_child}",
            json={"merge": True},
            headers=world.headers(),
        )

    assert response.status_code == 200, response.text
    # the rest moves later, in the job: here the children become PENDING_MERGE in one transaction,
    # the parent gets its MERGE activity and one job is sent; the groups are read in one
    # BatchGetItem (a merge decides on none of their state rows, so those are not read)
    assert calls == {
        "GetItem": 4,
        "Query": 1,
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
        "PutItem": 1,
        "SendMessage": 1,
    }
    assert response.json()["merge"] == {
        "parent": str(parent),
        "children": [str(first_child), str(second_child)],
    }
    assert [_group(c).status for c in (first_child, second_child)] == [GroupStatus.PENDING_MERGE] * 2
    merge_activity = [
        a for a in Activity.query(group_pk(parent), consistent_read=True) if a.type == ActivityType.MERGE
    ]
    assert [a.data.as_dict() for a in merge_activity] == [
        {"issues": [{"id": first_child}, {"id": second_child}]}
    ]

    run_worker_until_idle()

    assert partition(first_child) == [] and partition(second_child) == []
    merged = _group(parent)
    assert merged.times_seen == 10
    assert merged.status == GroupStatus.UNRESOLVED
    since = utcnow().replace(minute=0, second=0, microsecond=0)
    assert events_since(parent, since) == 10
    assert users_seen(parent) == 10
    for hash_value in child_hashes:
        assert get_hash(project.id, hash_value).group_id == parent
        assert row_exists(GroupHashRef.key(parent, hash_value))

    # A later event with a child's fingerprint lands on the parent.
    assert _send(project, "fp-b", "late-user") == parent
    assert _group(parent).times_seen == 11


def test_a_redelivered_merge_job_counts_nothing_twice(world: World) -> None:
    project = project_of(world)
    parent_id = _send(project, "fp-x", "u1")
    _send(project, "fp-x", "u2")
    child_id = _send(project, "fp-y", "u3")

    merge_groups([_group(parent_id), _group(child_id)], world.owner_id)

    messages = receive()
    assert [m for m in messages if '"merge_groups"' in m["Body"]]
    assert deliver(messages) == set()
    assert deliver(messages) == set()
    acknowledge(messages)
    run_worker_until_idle()

    assert _group(parent_id).times_seen == 3
    assert events_since(parent_id, utcnow().replace(minute=0, second=0, microsecond=0)) == 3
    assert partition(child_id) == []


def test_merging_across_projects_is_refused(world: World) -> None:
    project = project_of(world)
    other = Project(*Project.key(project.org_id, "other"), id=project.id + 1, org_id=project.org_id)
    first = create_group(project, "one")
    second = create_group(other, "two")

    with pytest.raises(BadRequest) as refused:
        merge_groups([first, second], world.owner_id)

    assert refused.value.body() == {"detail": "Merging across multiple projects is not supported"}
    assert [_group(g.id).status for g in (first, second)] == [GroupStatus.UNRESOLVED] * 2


def test_a_merge_job_that_dies_half_way_is_resumed_without_double_counting(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_of(world)
    parent_id = _send(project, "fp-p", "u1")
    _send(project, "fp-p", "u2")
    child_id = _send(project, "fp-q", "u3")
    merge_groups([_group(parent_id), _group(child_id)], world.owner_id)
    messages = [m for m in receive() if '"merge_groups"' in m["Body"]]

    def killed(*args: object) -> None:
        raise RuntimeError("worker killed after moving hashes, counts and times_seen")

    monkeypatch.setattr(merge, "_copy_rows", killed)
    with pytest.raises(BatchProcessingError):
        deliver(messages)
    monkeypatch.undo()
    monkeypatch.setattr(deletion, "deletion_delay", lambda: 0)
    assert _group(child_id).status == GroupStatus.PENDING_MERGE

    assert deliver(messages) == set()  # the retry
    acknowledge(messages)
    run_worker_until_idle()

    assert _group(parent_id).times_seen == 3
    assert events_since(parent_id, utcnow().replace(minute=0, second=0, microsecond=0)) == 3
    assert users_seen(parent_id) == 3
    assert partition(child_id) == []


def test_merge_moves_the_childrens_people_rows(world: World, base_url: str, http: requests.Session) -> None:
    from shared.storage.group_people import (
        GroupAssignee,
        GroupBookmark,
        GroupSeen,
        GroupShare,
        GroupSubscription,
    )

    project = project_of(world)
    parent = _send(project, "fp-people-a", "u1")
    _send(project, "fp-people-a", "u2")
    child = _send(project, "fp-people-b", "u3")
    issue_url = f"{base_url}/api/0/issues"
    owner_view = {"hasSeen": True, "isBookmarked": True, "isPublic": True, "assignedTo": str(world.owner_id)}
    assert http.put(f"{issue_url}/{child}/", json=owner_view, headers=world.headers()).status_code == 200
    # the parent already has this user's subscription (explicitly off): it is kept
    assert http.put(f"{issue_url}/{parent}/", json={"isSubscribed": False}, headers=world.headers()).ok
    share = GroupShare.get(*GroupShare.key(child))

    response = http.put(
        f"{base_url}/api/0/organizations/{world.org}/issues/?id={parent}&id={child}",
        json={"merge": True},
        headers=world.headers(),
    )
    assert response.json()["merge"]["parent"] == str(parent)
    run_worker_until_idle()

    assert partition(child) == []
    assert GroupAssignee.get(*GroupAssignee.key(parent)).user_id == world.owner_id
    assert GroupShare.get(*GroupShare.key(parent)).uuid == share.uuid
    assert GroupBookmark.get(*GroupBookmark.key(parent, world.owner_id)).user_id == world.owner_id
    assert GroupSeen.get(*GroupSeen.key(parent, world.owner_id)).user_id == world.owner_id
    assert GroupSubscription.get(*GroupSubscription.key(parent, world.owner_id)).is_active is False
    shown = http.get(f"{issue_url}/{parent}/", headers=world.headers()).json()
    assert shown["assignedTo"]["id"] == str(world.owner_id) and shown["isBookmarked"] is True
    assert shown["hasSeen"] is True and shown["isPublic"] is True
