"""Setting a group's priority by hand (Sentry's handle_priority / update_priority): the value, the
time it was locked (automatic re-prioritisation leaves it alone from then on), an activity and a
history row when it changes."""

from __future__ import annotations

from datetime import datetime

from shared.issues.activity import new_activity
from shared.issues.enums import ActivityType, GroupHistoryStatus, PriorityLevel
from shared.issues.history import new_group_history
from shared.issues.state import GroupState
from shared.issues.updates.changes import GroupChange
from shared.storage.issues import Group

_HISTORY = {
    PriorityLevel.HIGH: GroupHistoryStatus.PRIORITY_HIGH,
    PriorityLevel.MEDIUM: GroupHistoryStatus.PRIORITY_MEDIUM,
    PriorityLevel.LOW: GroupHistoryStatus.PRIORITY_LOW,
}


def plan_priority(
    state: GroupState, change: GroupChange, name: str, actor_id: int | None, now: datetime
) -> None:
    group = state.group
    priority = PriorityLevel[name.upper()]
    change.update([Group.priority.set(int(priority)), Group.priority_locked_at.set(now)])
    if group.priority is not None and group.priority == priority:
        return
    data = {"priority": name, "reason": None}
    change.put(
        new_activity(group, ActivityType.SET_PRIORITY, user_id=actor_id, data=data, when=change.tick())
    )
    change.put(new_group_history(group, _HISTORY[priority], user_id=actor_id, when=change.tick()))
