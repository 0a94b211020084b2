"""Deleting a queued group for real: what the deletion worker runs for each group of a job.

Every step is safe to repeat, because SQS delivers at least once and a worker may die half-way:
the group row is deleted last, so until then a retry (or the sweeper) finds the group and resumes;
a job for a group that is already gone does nothing."""

from __future__ import annotations

import math
from datetime import datetime

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DeleteError, UpdateError

from shared.issues.deletion.queue import (
    HASH_REF_PREFIX,
    load_group,
    queue_group_deletion,
    unlink_hash,
)
from shared.issues.enums import DELETING_STATUSES
from shared.issues.row_keys import partition_keys
from shared.issues.status.transitions import DELETION_STARTED
from shared.metrics import ROWS_DELETED, count
from shared.storage.base import condition_failed, utcnow
from shared.storage.issues import Group, IssueItem, ShortIdPointer, group_pk

logger = Logger(child=True)


def delete_groups(group_ids: list[int], transaction_id: str, now: datetime | None = None) -> int:
    """Delete the due groups of a job; re-queue the ones received before their ``delete_after``
    (SQS delays stop at 900 s). Returns how many groups were deleted."""
    now = now or utcnow()
    deleted = 0
    early: dict[int, float] = {}
    for group_id in group_ids:
        group = load_group(group_id)
        if group is None or group.status not in DELETING_STATUSES:
            continue
        if group.delete_after is not None and group.delete_after > now:
            early[group_id] = (group.delete_after - now).total_seconds()
            continue
        delete_group_now(group)
        deleted += 1
    if early:
        queue_group_deletion(list(early), transaction_id, math.ceil(max(early.values())))
    logger.info(
        "deletion job done",
        extra={"transaction_id": transaction_id, "deleted": deleted, "requeued": sorted(early)},
    )
    return deleted


def delete_group_now(group: Group) -> None:
    """Mark the group DELETION_IN_PROGRESS, delete what it owns, then the group row itself.

    The partition is read with one paginated, keys-only Query (of every kind of row) and deleted 25 rows per
    BatchWriteItem; a hash reference is first unlinked from its GroupHash (in case the request
    died before doing it), and the GroupHash row itself stays, as in Sentry."""
    group_id = group.id
    if group.status != DELETION_STARTED.to_status:
        try:
            group.update(
                actions=DELETION_STARTED.actions(group),
                condition=DELETION_STARTED.from_condition(),
            )
        except UpdateError as error:
            if condition_failed(error):
                return  # deleted (or no longer queued) meanwhile
            raise
    pointer = ShortIdPointer(*ShortIdPointer.key(group.project_id, group.short_id))
    try:
        pointer.delete(condition=ShortIdPointer.group_id == group_id)
    except DeleteError as error:
        if not condition_failed(error):
            raise
    rows = 0
    with IssueItem.batch_write() as batch:
        for pk, sk in partition_keys(group_pk(group_id)):
            if sk == Group.key(group_id)[1]:
                continue
            if sk.startswith(HASH_REF_PREFIX):
                unlink_hash(group.project_id, sk.removeprefix(HASH_REF_PREFIX), group_id)
            batch.delete(IssueItem(pk, sk))
            rows += 1
    Group(*Group.key(group_id)).delete()
    count(ROWS_DELETED, rows + 1)
