"""Shared setup of the deletion, discard, merge and project-deletion tests: groups with a child row
of every kind, and the deletion worker run on real messages of the deletion queue."""

from __future__ import annotations

import json
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from pynamodb.exceptions import DoesNotExist

from local.background import sqs_event
from local.lambda_context import LocalContext
from shared.accounts.organizations import find_organization
from shared.auth.access import OrgAccess, Principal, organization_access
from shared.config import settings
from shared.issues.activity import create_activity
from shared.issues.enums import ActivityType, GroupHistoryStatus
from shared.issues.events.counts import record_event
from shared.issues.groups import create_group
from shared.issues.history import record_group_history
from shared.issues.row_keys import partition_keys
from shared.projects.features import DISCARD_GROUPS, set_project_features
from shared.storage.accounts import Project
from shared.storage.group_people import GroupAssignee, GroupBookmark, GroupSeen, GroupShare, GroupSubscription
from shared.storage.group_state import GroupForecast, GroupHash, GroupHashRef, GroupLatestEvent, GroupSnooze
from shared.storage.issues import Group, GroupLink, GroupResolution, IssueItem, ShortIdPointer, group_pk
from tests.conftest import World


def project_of(world: World, discard: bool = False) -> Project:
    org = find_organization(world.org)
    assert org is not None
    project = Project.get(*Project.key(org.id, world.project))
    if discard:
        set_project_features(project, {DISCARD_GROUPS})
        project.refresh()
    return project


def owner_access(world: World) -> OrgAccess:
    return organization_access(Principal.acting_user(world.owner_id), world.org)


def attach_hash(group: Group, hash_value: str) -> None:
    """What ingestion writes for a new fingerprint: the hash row and its reference in the group."""
    pk, sk = GroupHash.key(group.project_id, hash_value)
    GroupHash(pk=pk, sk=sk, project_id=group.project_id, hash=hash_value, group_id=group.id).save()
    ref_pk, ref_sk = GroupHashRef.key(group.id, hash_value)
    GroupHashRef(pk=ref_pk, sk=ref_sk, project_id=group.project_id, hash=hash_value).save()


def keep_legacy_latest_event(group_id: int, event_id: str, when: datetime, message: str) -> None:
    """The latest-event item an issue counted before the event store kept (its old document)."""
    document = {
        "event_id": event_id,
        "timestamp": when.isoformat(),
        "level": "error",
        "platform": "python",
        "environment": None,
        "release": None,
        "message": message,
        "title": message,
        "culprit": "",
        "metadata": {"title": message},
        "type": "default",
        "tags": [["level", "error"]],
        "exceptions": [],
    }
    body = zlib.compress(json.dumps(document).encode())
    GroupLatestEvent(*GroupLatestEvent.key(group_id), event_id=event_id, timestamp=when, body=body).save()


def populated_group(project: Project, title: str, user_id: int, extra_activities: int = 0) -> Group:
    """A group with a child row of every kind a group owns, and two hashes."""
    group = create_group(project, title, culprit="app.views in handler")
    gid = group.id
    for suffix in ("a", "b"):
        attach_hash(group, f"{title}-{gid}-{suffix}")
    for _ in range(1 + extra_activities):
        create_activity(group, ActivityType.NOTE, user_id=user_id, data={"text": "hi"})
    record_group_history(group, GroupHistoryStatus.UNRESOLVED, user_id=user_id)
    record_event(gid, datetime.now(UTC), "user-1")
    record_event(gid, datetime.now(UTC) - timedelta(hours=2), "user-2")
    keep_legacy_latest_event(gid, uuid.uuid4().hex, datetime.now(UTC), title)
    pid = project.id
    rows: list[IssueItem] = [
        GroupSnooze(*GroupSnooze.key(gid), count=10),
        GroupForecast(*GroupForecast.key(gid), forecast=[200] * 14),
        GroupResolution(*GroupResolution.key(gid), type=0, status=1, release_version="1.0"),
        GroupLink(*GroupLink.commit_key(gid, 77), linked_id=77, project_id=pid, group_id=gid),
        GroupAssignee(*GroupAssignee.key(gid), actor=f"user:{user_id}", user_id=user_id, project_id=pid),
        GroupSubscription(*GroupSubscription.key(gid, user_id), user_id=user_id, project_id=pid),
        GroupBookmark(*GroupBookmark.key(gid, user_id), user_id=user_id, project_id=pid),
        GroupSeen(*GroupSeen.key(gid, user_id), user_id=user_id, project_id=pid),
        GroupShare(*GroupShare.key(gid), uuid="0" * 32, project_id=pid),
    ]
    for row in rows:
        row.save()
    return Group.get(*Group.key(gid), consistent_read=True)


def partition(group_id: int) -> list[tuple[str, str]]:
    """Keys of every row in the group's partition, whatever its kind."""
    return list(partition_keys(group_pk(group_id)))


def group_hashes(group: Group) -> list[str]:
    """The hashes listed in the group's partition (its GroupHashRef rows)."""
    return [sk.removeprefix("HASH#") for _, sk in partition(group.id) if sk.startswith("HASH#")]


def rows(group_id: int) -> list[IssueItem]:
    return list(IssueItem.query(group_pk(group_id), consistent_read=True))


def snapshot(group_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    """Every row of the group's partition, with its attributes, to compare states exactly."""
    return sorted(
        (row.pk, row.sk, json.loads(json.dumps(row.serialize(), default=str))) for row in rows(group_id)
    )


def row_exists(key: tuple[str, str]) -> bool:
    try:
        IssueItem.get(*key, consistent_read=True)
    except DoesNotExist:
        return False
    return True


def short_id_pointer_exists(group: Group) -> bool:
    return row_exists(ShortIdPointer.key(group.project_id, group.short_id))


def get_hash(project_id: int, hash_value: str) -> GroupHash:
    return GroupHash.get(*GroupHash.key(project_id, hash_value), consistent_read=True)


def queue_url() -> str:
    return settings().deletion_queue_url


def receive(wait_seconds: int = 1, visibility: int = 60) -> list[dict[str, Any]]:
    """Real messages of the deletion queue (hidden from other receivers for ``visibility`` s)."""
    return (
        boto3.client("sqs")
        .receive_message(
            QueueUrl=queue_url(),
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=visibility,
            AttributeNames=["All"],
        )
        .get("Messages", [])
    )


def deliver(messages: list[dict[str, Any]]) -> set[str]:
    """Run the deletion worker's Lambda handler on ``messages``; returns the failed message ids."""
    from functions.deletion_worker.app import handler

    result = handler(
        sqs_event(messages, "arn:aws:sqs:us-east-1:000000000000:DeletionQueue"), LocalContext("w")
    )
    return {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}


def acknowledge(messages: list[dict[str, Any]]) -> None:
    client = boto3.client("sqs")
    for message in messages:
        client.delete_message(QueueUrl=queue_url(), ReceiptHandle=message["ReceiptHandle"])


def run_worker_until_idle(max_rounds: int = 50) -> int:
    """Deliver every message of the deletion queue (including jobs the worker queues) until empty;
    returns how many were delivered. Failed messages would stay hidden and are reported by failing."""
    delivered = 0
    for _ in range(max_rounds):
        messages = receive()
        if not messages:
            return delivered
        failed = deliver(messages)
        assert not failed, f"deletion jobs failed: {failed}"
        acknowledge(messages)
        delivered += len(messages)
    raise AssertionError("the deletion queue never became empty")
