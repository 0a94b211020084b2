"""The one shape of every automatic transition an event causes (regression, snooze expiry,
escalation): a status change conditional on the status it starts from, written in one transaction
with its Activity and GroupHistory rows (and the rows it ends, such as a snooze), then the inbox.

The condition makes concurrent events race safely: exactly one of them performs the transition and
logs it; the others see the condition fail and log nothing, as Sentry's filtered ``update`` does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared.issues.activity import new_activity
from shared.issues.enums import (
    ActivityType,
    GroupHistoryStatus,
    GroupInboxReason,
    GroupStatus,
    GroupSubStatus,
)
from shared.issues.history import new_group_history
from shared.issues.inbox import add_group_to_inbox
from shared.issues.transaction import transaction
from shared.storage.base import cancelled_by_condition
from shared.storage.issues import Group, IssueItem, status_index_pk


@dataclass(frozen=True)
class Transition:
    """From ``from_status`` (and ``from_substatus`` when given) to UNRESOLVED/``to_substatus``."""

    from_status: GroupStatus
    to_substatus: GroupSubStatus
    activity: ActivityType
    history: GroupHistoryStatus
    inbox_reason: GroupInboxReason
    from_substatus: GroupSubStatus | None = None
    activity_data: dict[str, Any] = field(default_factory=dict)
    inbox_details: dict[str, Any] | None = None
    release_version: str | None = None
    ends: tuple[IssueItem, ...] = ()  # rows deleted with the transition (snooze, resolution)


def apply_transition(group: Group, transition: Transition, when: datetime) -> bool:
    """Perform ``transition`` on ``group`` if it is still in the starting state; returns whether it
    did (``group`` is then updated in place). Costs one TransactWriteItems, plus one PutItem for the
    inbox row when the transition happened."""
    condition = Group.status == int(transition.from_status)
    if transition.from_substatus is not None:
        condition = condition & (Group.substatus == int(transition.from_substatus))
    activity = new_activity(group, transition.activity, data=transition.activity_data, when=when)
    history = new_group_history(
        group, transition.history, release_version=transition.release_version, when=when
    )
    try:
        with transaction() as write:
            for row in transition.ends:
                write.delete(row)
            write.save(activity)
            write.save(history)
            write.update(
                group, group.status_actions(GroupStatus.UNRESOLVED, transition.to_substatus), condition
            )
    except TransactWriteError as error:
        cancelled = cancelled_by_condition(error)
        group_update = len(transition.ends) + 2  # deletes, then puts, then the update
        if len(cancelled) > group_update and cancelled[group_update]:
            return False
        raise
    group.status = int(GroupStatus.UNRESOLVED)
    group.substatus = int(transition.to_substatus)
    group.gsi1pk = status_index_pk(int(group.project_id), GroupStatus.UNRESOLVED)
    add_group_to_inbox(group, transition.inbox_reason, transition.inbox_details)
    return True
