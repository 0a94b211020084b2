"""Merging groups of one project into the one with the most events (Sentry's handle_merge and its
merge_groups task, docs/decisions.md §deletion.6).

The request only marks the children PENDING_MERGE (they leave every list at once), logs MERGE on
the parent and queues a merge job on the deletion queue. The job moves what must survive into the
parent (hashes, so later events land there; hourly counts and times_seen, summed; activities and
links; the newer latest event; the assignee, subscriptions, bookmarks, seen marks and share where
the parent has none), then deletes the children through the deletion pipeline. Each move is written so that a
redelivered or resumed job never counts anything twice."""

from __future__ import annotations

import uuid
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError

from shared.errors import BadRequest
from shared.issues.activity import new_activity
from shared.issues.categories import require_error_issues
from shared.issues.deletion.queue import (
    DELETION_INDEX_PK,
    MERGE_GROUPS,
    delete_group_list,
    deletion_index_sk,
    hash_values,
    load_group,
    send_deletion_job,
    update_groups_where,
)
from shared.issues.enums import GONE_STATUSES, ActivityType, GroupStatus
from shared.issues.events.counts import flush_current_hour, merge_users, move_current_users
from shared.issues.events.latest import move_latest_event
from shared.issues.events.user_sketch import UserSketch
from shared.issues.status.transitions import MERGING
from shared.issues.transaction import transaction
from shared.storage.base import cancelled_by_condition, condition_failed, utcnow
from shared.storage.group_people import GroupAssignee, GroupBookmark, GroupSeen, GroupShare, GroupSubscription
from shared.storage.group_state import (
    GroupEvents,
    GroupHash,
    GroupHashRef,
    GroupHourlyCount,
    GroupHourlyUsers,
)
from shared.storage.issues import Activity, Group, GroupLink, IssueItem, group_pk, status_index_sk

logger = Logger(child=True)


def check_mergeable(groups: list[Group]) -> None:
    """The 400s of a merge; the update flow calls this before its first write, so a refused merge
    leaves the other attributes of the request unapplied too."""
    if len({g.project_id for g in groups}) > 1:
        raise BadRequest("Merging across multiple projects is not supported")
    require_error_issues(groups, "merged")


def merge_groups(groups: list[Group], actor_id: int | None) -> dict:
    """Merge ``groups`` into the one with the most events (ties: the highest id, as Sentry sorts).

    Answers ``{"parent": "<id>", "children": ["<id>", ...]}``; with fewer than two distinct groups
    nothing happens and the answer is ``{}``. Children already on their way out are left out."""
    distinct = list({g.id: g for g in groups}.values())
    if len(distinct) < 2:
        return {}
    check_mergeable(distinct)
    ordered = sorted(distinct, key=lambda g: (g.times_seen, g.id), reverse=True)
    parent, candidates = ordered[0], ordered[1:]
    # PENDING_MERGE only while live, and in the sweeper's index from now on, in case the job is lost.
    now = utcnow()
    children = update_groups_where(
        candidates,
        lambda group: [
            *MERGING.actions(group),
            Group.merged_into.set(parent.id),
            Group.gsi2pk.set(DELETION_INDEX_PK),
            Group.gsi2sk.set(deletion_index_sk(now, group.id)),
        ],
        MERGING.from_condition(),
    )
    if not children:
        return {"parent": str(parent.id), "children": []}
    transaction_id = uuid.uuid4().hex
    child_ids = [c.id for c in children]
    new_activity(
        parent, ActivityType.MERGE, user_id=actor_id, data={"issues": [{"id": i} for i in child_ids]}
    ).save()
    queue_merge(parent.id, child_ids, transaction_id)
    logger.info(
        "groups queued for merge",
        extra={"transaction_id": transaction_id, "parent": parent.id, "children": child_ids},
    )
    return {"parent": str(parent.id), "children": [str(i) for i in child_ids]}


def queue_merge(parent_id: int, child_ids: list[int], transaction_id: str) -> None:
    send_deletion_job(
        {
            "type": MERGE_GROUPS,
            "parent_id": parent_id,
            "child_ids": child_ids,
            "transaction_id": transaction_id,
        }
    )


def run_merge(parent_id: int, child_ids: list[int], transaction_id: str) -> None:
    """The merge job: move each PENDING_MERGE child into the parent, then queue the children's
    deletion. With the parent gone meanwhile, nothing is moved and the children are deleted."""
    parent = load_group(parent_id)
    children = [c for c in (load_group(i) for i in child_ids) if c is not None]
    children = [c for c in children if c.status == GroupStatus.PENDING_MERGE]
    if parent is not None and parent.status not in GONE_STATUSES:
        for child in children:
            _move_into(child, parent)
    delete_group_list(children, delete_type="merge")
    logger.info(
        "merge job done",
        extra={
            "transaction_id": transaction_id,
            "parent": parent_id,
            "children": [c.id for c in children],
        },
    )


def _move_into(child: Group, parent: Group) -> None:
    _move_hashes(child, parent)
    # times_seen first: while rows move, the parent's exceeds its current hour's count plus its
    # rows, so readers read its rows (``only_current_hour``) and see them as they arrive
    _move_times_seen(child, parent)
    _move_hourly_counts(child, parent)
    _move_hourly_users(child, parent)
    _copy_rows(child, parent, Activity, "ACTIVITY#")
    _copy_rows(child, parent, GroupLink, "LINK#")
    _move_people(child, parent)
    move_latest_event(child.id, parent.id)
    _copy_kept_events(child, parent)


def _move_hashes(child: Group, parent: Group) -> None:
    """Each hash now points at the parent and is referenced from its partition; the child's reference
    goes in the same transaction. A hash no longer pointing at the child (tombstoned, moved) keeps
    its target; only the stale reference is dropped."""
    project_id = child.project_id
    for hash_value in hash_values(child.id):
        row = GroupHash(*GroupHash.key(project_id, hash_value))
        ref_pk, ref_sk = GroupHashRef.key(parent.id, hash_value)
        child_ref = GroupHashRef(*GroupHashRef.key(child.id, hash_value))
        try:
            with transaction() as write:
                write.delete(child_ref)
                write.save(GroupHashRef(pk=ref_pk, sk=ref_sk, project_id=project_id, hash=hash_value))
                write.update(
                    row,
                    actions=[GroupHash.group_id.set(parent.id)],
                    condition=GroupHash.group_id == child.id,
                )
        except TransactWriteError as error:
            if not any(cancelled_by_condition(error)):
                raise
            child_ref.delete()


def _move_hourly_users(child: Group, parent: Group) -> None:
    """Merge each hour's user sketch into the parent's, then delete the child's: a merge adds
    nobody twice (register maximum), so a second run after an interruption changes nothing."""
    move_current_users(child.id, parent.id)  # its newest hour rides on its tag summary
    rows = GroupHourlyUsers.query(
        group_pk(child.id), GroupHourlyUsers.sk.startswith("HOUR#"), consistent_read=True
    )
    for row in rows:
        merge_users(parent.id, row.hour, UserSketch.from_bytes(row.sketch), row.expires_at)
        row.delete()


def _move_hourly_counts(child: Group, parent: Group) -> None:
    """ADD each hour's count into the parent's row, deleting the child's row in the same
    transaction on condition it still exists: a second run finds nothing left to add. The count
    the child holds of its current hour goes to its row first."""
    flush_current_hour(child.id)
    rows = GroupHourlyCount.query(
        group_pk(child.id), GroupHourlyCount.sk.startswith("HOUR#"), consistent_read=True
    )
    for row in rows:
        target = GroupHourlyCount(*GroupHourlyCount.key(parent.id, row.hour))
        actions = [
            GroupHourlyCount.count.add(row.count or 0),
            GroupHourlyCount.kind.set(GroupHourlyCount),
            GroupHourlyCount.hour.set(row.hour),
        ]
        if row.expires_at is not None:
            actions.append(GroupHourlyCount.expires_at.set(row.expires_at))
        try:
            with transaction() as write:
                write.delete(row, condition=IssueItem.pk.exists())
                write.update(target, actions=actions)
        except TransactWriteError as error:
            if not any(cancelled_by_condition(error)):
                raise


def _move_times_seen(child: Group, parent: Group) -> None:
    """Add the child's times_seen to the parent and zero the child's in one transaction, conditional
    on the child's count being the one added; widen the parent's first/last seen if needed."""
    seen = child.times_seen or 0
    if seen:
        try:
            with transaction() as write:
                write.update(child, actions=[Group.times_seen.set(0)], condition=Group.times_seen == seen)
                write.update(parent, actions=[Group.times_seen.add(seen)], condition=Group.pk.exists())
        except TransactWriteError as error:
            if not any(cancelled_by_condition(error)):
                raise
    _widen(parent, [Group.first_seen.set(child.first_seen)], Group.first_seen > child.first_seen)
    _widen(
        parent,
        [
            Group.last_seen.set(child.last_seen),
            Group.gsi1sk.set(status_index_sk(child.last_seen, parent.id)),
        ],
        Group.last_seen < child.last_seen,
    )


def _widen(parent: Group, actions: list, condition: Any) -> None:
    try:
        Group(*Group.key(parent.id)).update(actions=actions, condition=Group.pk.exists() & condition)
    except UpdateError as error:
        if not condition_failed(error):
            raise


# Per-user rows the parent takes over where it has none of that user's (Sentry keeps the parent's).
_PER_USER_ROWS = (
    (GroupSubscription, "SUBSCRIPTION#"),
    (GroupBookmark, "BOOKMARK#"),
    (GroupSeen, "SEEN#"),
)


def _move_people(child: Group, parent: Group) -> None:
    """The child's assignee and share go to the parent when it has none; its subscriptions,
    bookmarks and seen marks for users the parent has none of. Conditional puts for the single
    rows, one Query per kind of row (and one of the parent's when the child has any), batch writes
    for the rest; a rerun finds the parent's rows and writes nothing twice."""
    child_pk, parent_pk = group_pk(child.id), group_pk(parent.id)
    for model, sk in ((GroupAssignee, GroupAssignee.key(0)[1]), (GroupShare, GroupShare.key(0)[1])):
        try:
            row = model.get(child_pk, sk, consistent_read=True)
        except DoesNotExist:
            continue
        row.pk = parent_pk
        try:
            row.save(condition=IssueItem.pk.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
    for model, prefix in _PER_USER_ROWS:
        rows = list(model.query(child_pk, model.sk.startswith(prefix), consistent_read=True))
        if not rows:
            continue
        taken = {r.sk for r in model.query(parent_pk, model.sk.startswith(prefix), consistent_read=True)}
        with model.batch_write() as batch:
            for row in rows:
                if row.sk not in taken:
                    row.pk = parent_pk
                    batch.save(row)


def _copy_kept_events(child: Group, parent: Group) -> None:
    """The child's kept events listed under the parent too (``GroupEvents`` items under the same sort
    keys: a rerun rewrites them); the originals go with the child's deletion."""
    rows = GroupEvents.query(group_pk(child.id), GroupEvents.sk.startswith("EVENTS#"), consistent_read=True)
    with GroupEvents.batch_write() as batch:
        for row in rows:
            row.pk = group_pk(parent.id)
            batch.save(row)


def _copy_rows(child: Group, parent: Group, model: type[Activity] | type[GroupLink], prefix: str) -> None:
    """Copy the child's rows under the same sort key into the parent's partition: a rerun rewrites
    the same rows. The child's originals go with the child's deletion."""
    rows = model.query(group_pk(child.id), model.sk.startswith(prefix), consistent_read=True)
    with model.batch_write() as batch:
        for row in rows:
            row.pk = group_pk(parent.id)
            row.group_id = parent.id
            batch.save(row)
