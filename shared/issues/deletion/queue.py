"""Queuing groups for deletion (Sentry's delete_group_list, docs/decisions.md §deletion.2).

What must stop at once happens here: the groups leave every list (PENDING_DELETION), their hashes
stop routing events to them and their inbox rows go. Deleting the rest of each group waits for the
deletion delay and runs in the deletion worker. Every queued group is also in the sparse
``pending_deletion`` index, keyed by the time it should be gone, so the sweeper finds any group
whose job was lost without scanning the table."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from shared.config import settings
from shared.issues.row_keys import partition_keys
from shared.issues.status.transitions import DELETION_QUEUED
from shared.issues.transaction import transaction
from shared.queues import send_job
from shared.storage.base import cancelled_by_condition, chunked, condition_failed, utcnow
from shared.storage.dynamodb import max_transaction_items
from shared.storage.group_state import GroupHash
from shared.storage.issues import (
    Group,
    GroupInbox,
    group_pk,
    sortable_time,
)

logger = Logger(child=True)

# The sparse index holds only groups on their way out, all under one partition key.
DELETION_INDEX_PK = "DELETION"
HASH_REF_PREFIX = "HASH#"
# Groups named by one deletion job: small enough for one worker invocation to finish in its timeout.
GROUPS_PER_JOB = 20
SQS_MAX_DELAY = 900

DELETE_GROUPS = "delete_groups"
MERGE_GROUPS = "merge_groups"
DELETE_PROJECT = "delete_project"


def deletion_delay() -> int:
    """Seconds between a delete request and the actual deletion (Sentry's countdown,
    docs/decisions.md §deletion.2)."""
    return settings().deletion_delay_seconds


def deletion_index_sk(due: datetime, group_id: int) -> str:
    """``pending_deletion`` sort key: when the group should be gone by, then its zero-padded id."""
    return f"{sortable_time(due)}#{int(group_id):020d}"


def load_group(group_id: int) -> Group | None:
    """The group as stored now (strongly consistent: jobs act on what earlier steps just wrote)."""
    try:
        return Group.get(*Group.key(group_id), consistent_read=True)
    except DoesNotExist:
        return None


def send_deletion_job(body: dict, delay_seconds: int = 0) -> None:
    send_job(settings().deletion_queue_url, body, delay_seconds=min(max(delay_seconds, 0), SQS_MAX_DELAY))


def queue_group_deletion(group_ids: list[int], transaction_id: str, delay_seconds: int = 0) -> None:
    """One deletion job per chunk of groups."""
    for chunk in chunked(sorted(set(group_ids)), GROUPS_PER_JOB):
        send_deletion_job(
            {"type": DELETE_GROUPS, "group_ids": chunk, "transaction_id": transaction_id}, delay_seconds
        )


def delete_group_list(groups: list[Group], delete_type: str = "delete") -> str:
    """Queue ``groups`` for deletion; returns the transaction id logged with every step.

    Groups already pending or in progress are skipped (their own job is on its way). The status
    change is one conditional TransactWriteItems per 100 groups: a cancelled one is retried without
    the groups whose condition failed, so two concurrent requests never queue a group twice."""
    transaction_id = uuid.uuid4().hex
    delay = deletion_delay()
    delete_after = utcnow() + timedelta(seconds=delay)
    ordered = sorted({g.id: g for g in groups}.values(), key=lambda g: (g.times_seen, g.id))
    marked = update_groups_where(
        ordered,
        lambda group: [
            *DELETION_QUEUED.actions(group),
            Group.delete_after.set(delete_after),
            Group.gsi2pk.set(DELETION_INDEX_PK),
            Group.gsi2sk.set(deletion_index_sk(delete_after, group.id)),
        ],
        DELETION_QUEUED.from_condition(),
    )
    if not marked:
        return transaction_id
    _remove_from_inbox(marked)
    for group in marked:
        unlink_hashes(group)
    queue_group_deletion([g.id for g in marked], transaction_id, delay)
    logger.info(
        "groups queued for deletion",
        extra={
            "transaction_id": transaction_id,
            "delete_type": delete_type,
            "group_ids": [g.id for g in marked],
            "delete_after": delete_after.isoformat(),
        },
    )
    return transaction_id


def update_groups_where(
    groups: list[Group], actions: Callable[[Group], list[Action]], condition: Condition
) -> list[Group]:
    """Update each group on ``condition``, one TransactWriteItems per 100 groups (one operation
    per group, as many as the largest transaction holds); returns the groups updated. A transaction
    cancelled by some conditions is retried without those groups, so racing requests never both
    take a group."""
    updated: list[Group] = []
    for chunk in chunked(groups, max_transaction_items()):
        pending = chunk
        while pending:
            try:
                with transaction() as write:
                    for group in pending:
                        write.update(group, actions=actions(group), condition=Group.pk.exists() & condition)
            except TransactWriteError as error:
                cancelled = cancelled_by_condition(error)
                if not any(cancelled):
                    raise
                pending = [g for g, refused in zip(pending, cancelled, strict=False) if not refused]
                continue
            updated.extend(pending)
            break
    return updated


def _remove_from_inbox(groups: list[Group]) -> None:
    with GroupInbox.batch_write() as batch:
        for group in groups:
            batch.delete(GroupInbox(*GroupInbox.key(group.id)))


def hash_values(group_id: int) -> list[str]:
    """The group's hashes, from the GroupHashRef rows of its partition (one Query, keys only)."""
    return [sk.removeprefix(HASH_REF_PREFIX) for _, sk in partition_keys(group_pk(group_id), HASH_REF_PREFIX)]


def unlink_hash(project_id: int, hash_value: str, group_id: int, tombstone_id: int | None = None) -> None:
    """Stop the hash from routing events to the group (with ``tombstone_id``: drop them from now on).
    Conditional on it still pointing there: a hash already moved to a merge parent or a tombstone is
    left as it is."""
    row = GroupHash(*GroupHash.key(project_id, hash_value))
    actions = [GroupHash.group_id.remove()]
    if tombstone_id is not None:
        actions.append(GroupHash.tombstone_id.set(tombstone_id))
    try:
        row.update(actions=actions, condition=GroupHash.group_id == group_id)
    except UpdateError as error:
        if not condition_failed(error):
            raise


def unlink_hashes(group: Group) -> None:
    for hash_value in hash_values(group.id):
        unlink_hash(group.project_id, hash_value, group.id)
