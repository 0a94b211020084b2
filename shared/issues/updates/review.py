"""The inbox flag of an issue update (Sentry's update_inbox): ``inbox: true`` puts the group back for
review (reason MANUAL, unless it is already there); ``inbox: false`` marks it reviewed: out of the
inbox with Activity MARK_REVIEWED and GroupHistory REVIEWED when a user acts and a row was there, and
a NEW / REGRESSED / ESCALATING group becomes ONGOING (Activity AUTO_SET_ONGOING, ``manually``)."""

from __future__ import annotations

from datetime import datetime

from shared.issues.activity import new_activity
from shared.issues.enums import (
    ActivityType,
    GroupHistoryStatus,
    GroupInboxReason,
)
from shared.issues.history import new_group_history
from shared.issues.state import GroupState
from shared.issues.status.transitions import REVIEWED, substatus_is
from shared.issues.updates.changes import GroupChange
from shared.storage.issues import Group, GroupInbox, IssueItem


def plan_inbox(
    state: GroupState,
    change: GroupChange,
    inbox: bool,
    actor_id: int | None,
    now: datetime,
    status_given: bool,
) -> None:
    """``status_given``: the same update sets the status, which then decides the substatus."""
    group = state.group
    pk, sk = GroupInbox.key(group.id)
    if inbox:
        if state.inbox is None:
            row = GroupInbox(pk=pk, sk=sk, reason=int(GroupInboxReason.MANUAL), date_added=now)
            change.put(row, condition=IssueItem.pk.does_not_exist())
        return
    already_removed = (pk, sk) in change.deletes
    if state.inbox is not None and not already_removed:
        change.delete(state.inbox, condition=IssueItem.pk.exists())
        if actor_id is not None:
            change.put(new_activity(group, ActivityType.MARK_REVIEWED, user_id=actor_id, when=change.tick()))
            change.put(
                new_group_history(group, GroupHistoryStatus.REVIEWED, user_id=actor_id, when=change.tick())
            )
    if status_given:
        return
    substatus = group.substatus
    if REVIEWED.starts_from(group.status, substatus):
        change.update(
            REVIEWED.actions(group),
            condition=(Group.status == group.status) & substatus_is(substatus),
        )
        change.put(new_activity(group, REVIEWED.activity, data={"manually": True}, when=change.tick()))
