"""Unresolving and ignoring groups (Sentry's handle_other_status_updates).

The substatus is the one given, else inferred as Sentry does. A group whose status changes gets the
SET_UNRESOLVED / SET_IGNORED activity and the matching history row; the write is conditional on the
status read, so a concurrent regression or resolve is never overwritten by a stale decision. Every
resolution row of the groups is removed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.errors import ValidationFailed
from shared.issues.activity import new_activity
from shared.issues.enums import (
    STATUS_UPDATE_CHOICES,
    STR_TO_SUBSTATUS,
    ActivityType,
    GroupStatus,
    GroupSubStatus,
)
from shared.issues.history import new_group_history
from shared.issues.state import GroupState
from shared.issues.status.ignore import plan_ignored, plan_until_escalating
from shared.issues.status.transitions import BY_UPDATE_TARGET, InboxEffect, substatus_is
from shared.issues.updates.changes import GroupChange
from shared.issues.updates.request import IssueUpdate
from shared.serializers.dates import format_datetime
from shared.storage.issues import Group, GroupInbox

TRANSITION_AFTER_DAYS = 7


@dataclass
class StatusPlan:
    """What one update does to each group's status, decided once for all groups."""

    status: GroupStatus
    substatus: GroupSubStatus | None  # None: inferred per group
    update: IssueUpdate
    single: bool


def status_plan(update: IssueUpdate, group_count: int) -> StatusPlan:
    """400 when the given substatus does not go with the status."""
    status = STATUS_UPDATE_CHOICES[update.status or ""]
    substatus = STR_TO_SUBSTATUS[update.substatus] if update.substatus else None
    if substatus is not None and (status, substatus) not in BY_UPDATE_TARGET:
        raise ValidationFailed(
            {"substatus": [f"Invalid substatus {update.substatus} for status {update.status}."]}
        )
    if status == GroupStatus.IGNORED and substatus is None:
        details = update.status_details
        if details.until_escalating:
            substatus = GroupSubStatus.UNTIL_ESCALATING
        elif details.has_ignore_condition:
            substatus = GroupSubStatus.UNTIL_CONDITION_MET
        else:
            substatus = GroupSubStatus.FOREVER
    return StatusPlan(status, substatus, update, single=group_count == 1)


def infer_unresolved_substatus(group: Group, single: bool, now: datetime) -> GroupSubStatus:
    if not single:
        return GroupSubStatus.ONGOING
    if group.status == GroupStatus.IGNORED:
        recent = group.first_seen > now - timedelta(days=TRANSITION_AFTER_DAYS)
        return GroupSubStatus.NEW if recent else GroupSubStatus.ONGOING
    if group.status == GroupStatus.RESOLVED:
        return GroupSubStatus.REGRESSED
    return GroupSubStatus.ONGOING


def plan_status(
    state: GroupState, change: GroupChange, plan: StatusPlan, actor_id: int | None, now: datetime
) -> tuple[dict[str, Any], GroupSubStatus]:
    """Add the status change of one group; returns its statusDetails and substatus for the answer."""
    group = state.group
    substatus = plan.substatus or infer_unresolved_substatus(group, plan.single, now)
    target = BY_UPDATE_TARGET[(plan.status, substatus)]  # a pair ``status_plan`` checked
    if state.resolution is not None:
        change.delete(state.resolution)
    if target.inbox is InboxEffect.REMOVE:
        change.delete(GroupInbox(*GroupInbox.key(group.id)))
    details: dict[str, Any] = {}
    snooze: dict[str, Any] | None = None
    if target.to_status == GroupStatus.IGNORED and target.to_substatus == GroupSubStatus.UNTIL_ESCALATING:
        plan_until_escalating(state, change)
        details = {"ignoreUntilEscalating": True}
    elif target.to_status == GroupStatus.IGNORED:
        snooze = plan_ignored(state, change, plan.update.status_details, actor_id, now)
        details = {**snooze, "ignoreUntil": format_datetime(snooze["ignoreUntil"])} if snooze else {}
    read = (group.status, group.substatus)
    if read == (int(target.to_status), int(substatus)):
        return details, substatus
    change.update(target.actions(group), condition=(Group.status == read[0]) & substatus_is(read[1]))
    if not target.starts_from(*read):
        return details, substatus  # only the substatus moves: no transition to log
    data = None
    if target.activity == ActivityType.SET_IGNORED:
        data = {
            "ignoreCount": None,
            "ignoreDuration": plan.update.status_details.ignore_duration or None,
            "ignoreUntil": None,
            "ignoreUserCount": None,
            "ignoreUserWindow": None,
            "ignoreWindow": None,
            "ignoreUntilEscalating": substatus == GroupSubStatus.UNTIL_ESCALATING,
        }
        if snooze:
            data.update({k: v for k, v in details.items() if k in data})
    assert target.activity is not None and target.history is not None
    change.put(new_activity(group, target.activity, user_id=actor_id, data=data, when=change.tick()))
    change.put(new_group_history(group, target.history, user_id=actor_id, when=change.tick()))
    return details, substatus
