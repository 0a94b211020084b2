"""The safety net of the deletion pipeline: groups and projects whose job was lost (or failed for
good) are queued again. It reads only the sparse ``pending_deletion`` index, never the table."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger
from pynamodb.exceptions import UpdateError

from shared.issues.deletion.queue import (
    DELETION_INDEX_PK,
    deletion_index_sk,
    queue_group_deletion,
)
from shared.issues.enums import DELETING_STATUSES, GroupStatus
from shared.issues.row_keys import index_keys
from shared.issues.updates.merge import queue_merge
from shared.projects.deletion import send_project_job
from shared.storage.base import batch_get, condition_failed, utcnow
from shared.storage.group_state import ProjectDeletion
from shared.storage.issues import Group, sortable_time

logger = Logger(child=True)

# A group still there this long after it was due is stuck: a job takes seconds, and SQS retries a
# failed one (visibility timeout 180 s) well within it.
STUCK_AFTER = timedelta(minutes=15)


def sweep(now: datetime | None = None) -> list[int]:
    """Queue again every group due for longer than ``STUCK_AFTER``; returns their ids.

    Each one is pushed back in the index to ``now`` before its job is sent, so the next sweep
    leaves it alone while that job runs."""
    now = now or utcnow()
    cutoff = sortable_time(now - STUCK_AFTER)
    keys = list(index_keys("pending_deletion", "gsi2pk", DELETION_INDEX_PK, "gsi2sk", cutoff))
    _resend_projects(batch_get(ProjectDeletion, [k for k in keys if k[1] == "PROJECTDELETION"]), now)
    stuck = batch_get(Group, [key for key in keys if key[1] == "GROUP"], consistent_read=True)
    to_delete: list[int] = []
    to_merge: dict[int, list[int]] = {}
    for group in stuck:
        if not _push_back(group, now):
            continue
        if group.status in DELETING_STATUSES:
            to_delete.append(group.id)
        elif group.status == GroupStatus.PENDING_MERGE and group.merged_into is not None:
            to_merge.setdefault(group.merged_into, []).append(group.id)
    transaction_id = uuid.uuid4().hex
    if to_delete:
        queue_group_deletion(to_delete, transaction_id)
    for parent_id, child_ids in to_merge.items():
        queue_merge(parent_id, child_ids, transaction_id)
    swept = sorted(to_delete + [i for ids in to_merge.values() for i in ids])
    if swept:
        logger.warning(
            "stuck groups queued again", extra={"transaction_id": transaction_id, "group_ids": swept}
        )
    return swept


def _resend_projects(markers: list[ProjectDeletion], now: datetime) -> None:
    """Send again the job of each project still pending deletion past the cutoff (its marker is
    removed when the job finishes); the marker moves to ``now`` first, like a group's entry."""
    for marker in markers:
        try:
            marker.update(
                actions=[ProjectDeletion.gsi2sk.set(deletion_index_sk(now, marker.project_id))],
                condition=ProjectDeletion.pk.exists(),
            )
        except UpdateError as error:
            if condition_failed(error):
                continue
            raise
        transaction_id = uuid.uuid4().hex
        send_project_job(marker.project_id, transaction_id)
        logger.warning(
            "stuck project deletion queued again",
            extra={"transaction_id": transaction_id, "project_id": marker.project_id},
        )


def _push_back(group: Group, now: datetime) -> bool:
    """Move the group's index entry to ``now``, conditional on it still being on its way out (an
    update must never bring back a group row the worker has just deleted)."""
    gone = [int(s) for s in (*DELETING_STATUSES, GroupStatus.PENDING_MERGE)]
    try:
        group.update(
            actions=[Group.gsi2sk.set(deletion_index_sk(now, group.id))],
            condition=Group.pk.exists() & Group.status.is_in(*gone),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True
