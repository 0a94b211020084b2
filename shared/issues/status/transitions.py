"""Every status transition of a group, in one table: where it may start (status, and substatus
where it matters), the status and substatus it sets, the Activity and GroupHistory rows it logs and
what it does to the "for review" inbox. Sentry spreads these over ``update_groups``,
``_handle_regression``, ``process_snoozes`` and ``manage_issue_states``; here every module that
changes a group's status picks its row and reads the rest from it, so a rule changes in one place.

What a row does not hold stays with its module: the conditions a user's update must meet, the
data an activity carries, the rows written beside the change (a resolution, a snooze)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action

from shared.issues.enums import (
    DELETING_STATUSES,
    GONE_STATUSES,
    ActivityType,
    GroupHistoryStatus,
    GroupInboxReason,
    GroupStatus,
    GroupSubStatus,
)
from shared.storage.issues import Group


class InboxEffect(StrEnum):
    KEEP = "keep"  # the inbox row stays as it is (or absent)
    ADD = "add"  # put in the inbox with the row's reason; a row already there keeps its own
    REMOVE = "remove"  # taken out of the inbox (action RESOLVED / IGNORED: nothing else is logged)


ANY_STATUS = frozenset(GroupStatus)


@dataclass(frozen=True)
class StatusTransition:
    """One row of the table. ``from_substatuses`` None: whatever the substatus."""

    name: str
    from_statuses: frozenset[GroupStatus]
    to_status: GroupStatus
    to_substatus: GroupSubStatus | None
    activity: ActivityType | None
    history: GroupHistoryStatus | None
    inbox: InboxEffect
    inbox_reason: GroupInboxReason | None = None
    from_substatuses: frozenset[GroupSubStatus | None] | None = None

    def starts_from(self, status: int, substatus: int | None) -> bool:
        """Whether a group in ``status``/``substatus`` may take this transition."""
        if status not in self.from_statuses:
            return False
        return self.from_substatuses is None or substatus in self.from_substatuses

    def from_condition(self) -> Any:
        """The write condition that the stored group is still where this transition starts."""
        condition = _is_in(Group.status, self.from_statuses, ANY_STATUS)
        if self.from_substatuses is not None:
            known = frozenset(s for s in self.from_substatuses if s is not None)
            substatus = _is_in(Group.substatus, known, None)
            if None in self.from_substatuses:
                substatus = substatus_is(None) | substatus
            condition = condition & substatus
        return condition

    def actions(self, group: Group) -> list[Action]:
        """The update actions that set the status, substatus and status index of ``group``."""
        return group.status_actions(self.to_status, self.to_substatus)

    def performed_on(self, group: Group) -> None:
        """Bring the in-memory ``group`` to the written state (after ``actions`` succeeded)."""
        group.take_status(self.to_status, self.to_substatus)


def _is_in(attribute: Any, values: frozenset[Any], universe: frozenset[Any] | None) -> Any:
    """``attribute`` is one of ``values``: an equality for one value, the negation of the few
    values left out when that is shorter."""
    if universe is not None and len(universe - values) < len(values):
        return ~attribute.is_in(*sorted(int(v) for v in universe - values))
    if len(values) == 1:
        return attribute == int(next(iter(values)))
    return attribute.is_in(*sorted(int(v) for v in values))


def substatus_is(value: int | None) -> Any:
    """Condition on one substatus; a null one may be stored as NULL or be absent."""
    if value is None:
        return Group.substatus.does_not_exist() | Path(Group.substatus).is_type("NULL")
    return Group.substatus == value


def _unresolved(substatus: GroupSubStatus) -> StatusTransition:
    return StatusTransition(
        name=f"unresolved ({substatus.name.lower()})",
        from_statuses=ANY_STATUS - {GroupStatus.UNRESOLVED},
        to_status=GroupStatus.UNRESOLVED,
        to_substatus=substatus,
        activity=ActivityType.SET_UNRESOLVED,
        history=GroupHistoryStatus.UNRESOLVED,
        inbox=InboxEffect.KEEP,
    )


def _ignored(substatus: GroupSubStatus, history: GroupHistoryStatus) -> StatusTransition:
    return StatusTransition(
        name=f"ignored ({substatus.name.lower()})",
        from_statuses=ANY_STATUS - {GroupStatus.IGNORED},
        to_status=GroupStatus.IGNORED,
        to_substatus=substatus,
        activity=ActivityType.SET_IGNORED,
        history=history,
        inbox=InboxEffect.REMOVE,
    )


def _resolved(name: str, activity: ActivityType, history: GroupHistoryStatus) -> StatusTransition:
    return StatusTransition(
        name=name,
        from_statuses=ANY_STATUS - {GroupStatus.RESOLVED},
        to_status=GroupStatus.RESOLVED,
        to_substatus=None,
        activity=activity,
        history=history,
        inbox=InboxEffect.REMOVE,
    )


# A new group (its first event, or a caller): in the inbox as NEW.
CREATED = StatusTransition(
    name="created",
    from_statuses=frozenset(),
    to_status=GroupStatus.UNRESOLVED,
    to_substatus=GroupSubStatus.NEW,
    activity=None,
    history=None,
    inbox=InboxEffect.ADD,
    inbox_reason=GroupInboxReason.NEW,
)

# Caused by an event (``shared.issues.events``), on condition that the group is still where the row
# starts, so of concurrent events exactly one performs it.
REGRESSED = StatusTransition(
    name="regressed",
    from_statuses=frozenset({GroupStatus.RESOLVED}),
    to_status=GroupStatus.UNRESOLVED,
    to_substatus=GroupSubStatus.REGRESSED,
    activity=ActivityType.SET_REGRESSION,
    history=GroupHistoryStatus.REGRESSED,
    inbox=InboxEffect.ADD,
    inbox_reason=GroupInboxReason.REGRESSION,
)
SNOOZE_OVER = StatusTransition(
    name="snooze over",
    from_statuses=frozenset({GroupStatus.IGNORED}),
    to_status=GroupStatus.UNRESOLVED,
    to_substatus=GroupSubStatus.ONGOING,
    activity=ActivityType.SET_UNRESOLVED,
    history=GroupHistoryStatus.UNIGNORED,
    inbox=InboxEffect.ADD,
    inbox_reason=GroupInboxReason.UNIGNORED,
)
ESCALATED = StatusTransition(
    name="escalated",
    from_statuses=frozenset({GroupStatus.IGNORED}),
    from_substatuses=frozenset({GroupSubStatus.UNTIL_ESCALATING}),
    to_status=GroupStatus.UNRESOLVED,
    to_substatus=GroupSubStatus.ESCALATING,
    activity=ActivityType.SET_ESCALATING,
    history=GroupHistoryStatus.ESCALATING,
    inbox=InboxEffect.ADD,
    inbox_reason=GroupInboxReason.ESCALATING,
)

# Set by an issue update (``shared.issues.status``). Resolving skips a group already resolved; the
# kind of resolution picks the row.
RESOLVED = _resolved("resolved", ActivityType.SET_RESOLVED, GroupHistoryStatus.RESOLVED)
RESOLVED_IN_RELEASE = _resolved(
    "resolved in a release", ActivityType.SET_RESOLVED_IN_RELEASE, GroupHistoryStatus.SET_RESOLVED_IN_RELEASE
)
RESOLVED_IN_COMMIT = _resolved(
    "resolved in a commit", ActivityType.SET_RESOLVED_IN_COMMIT, GroupHistoryStatus.SET_RESOLVED_IN_COMMIT
)
# Unresolving and ignoring: the substatuses an update may ask for with each status. The inbox
# effect applies to every such update, even of a group already in that status; an update to the
# status a group already has moves only its substatus and logs nothing.
SET_BY_UPDATE = (
    _unresolved(GroupSubStatus.ONGOING),
    _unresolved(GroupSubStatus.ESCALATING),
    _unresolved(GroupSubStatus.REGRESSED),
    _unresolved(GroupSubStatus.NEW),
    _ignored(GroupSubStatus.UNTIL_ESCALATING, GroupHistoryStatus.ARCHIVED_UNTIL_ESCALATING),
    _ignored(GroupSubStatus.FOREVER, GroupHistoryStatus.ARCHIVED_FOREVER),
    _ignored(GroupSubStatus.UNTIL_CONDITION_MET, GroupHistoryStatus.ARCHIVED_UNTIL_CONDITION_MET),
)
# ``inbox: false`` without a status: a group not ONGOING becomes ONGOING (the inbox row itself goes
# with the flag, whatever the status).
REVIEWED = StatusTransition(
    name="reviewed",
    from_statuses=frozenset({GroupStatus.UNRESOLVED}),
    from_substatuses=frozenset({None, *GroupSubStatus}) - {GroupSubStatus.ONGOING},
    to_status=GroupStatus.UNRESOLVED,
    to_substatus=GroupSubStatus.ONGOING,
    activity=ActivityType.AUTO_SET_ONGOING,
    history=None,
    inbox=InboxEffect.KEEP,
)

# A release that ships a commit fixing the group (set_commits): only live groups, no activity (the
# commit's REFERENCED_IN_COMMIT was logged when it was linked).
RESOLVED_BY_RELEASE = StatusTransition(
    name="resolved by a release",
    from_statuses=frozenset({GroupStatus.UNRESOLVED, GroupStatus.IGNORED}),
    to_status=GroupStatus.RESOLVED,
    to_substatus=None,
    activity=None,
    history=GroupHistoryStatus.RESOLVED,
    inbox=InboxEffect.REMOVE,
)

# On the way out: merged into another group, or deleted; nothing is logged per group.
MERGING = StatusTransition(
    name="merging",
    from_statuses=ANY_STATUS - GONE_STATUSES,
    to_status=GroupStatus.PENDING_MERGE,
    to_substatus=None,
    activity=None,
    history=None,
    inbox=InboxEffect.KEEP,
)
DELETION_QUEUED = StatusTransition(
    name="queued for deletion",
    from_statuses=ANY_STATUS - DELETING_STATUSES,
    to_status=GroupStatus.PENDING_DELETION,
    to_substatus=None,
    activity=None,
    history=None,
    inbox=InboxEffect.REMOVE,
)
DELETION_STARTED = StatusTransition(
    name="deletion started",
    from_statuses=DELETING_STATUSES,
    to_status=GroupStatus.DELETION_IN_PROGRESS,
    to_substatus=None,
    activity=None,
    history=None,
    inbox=InboxEffect.KEEP,
)

TRANSITIONS = (
    CREATED,
    REGRESSED,
    SNOOZE_OVER,
    ESCALATED,
    RESOLVED,
    RESOLVED_IN_RELEASE,
    RESOLVED_IN_COMMIT,
    *SET_BY_UPDATE,
    REVIEWED,
    RESOLVED_BY_RELEASE,
    MERGING,
    DELETION_QUEUED,
    DELETION_STARTED,
)


# The rows an update picks by the status and substatus it asks for.
BY_UPDATE_TARGET: dict[tuple[GroupStatus, GroupSubStatus], StatusTransition] = {
    (row.to_status, row.to_substatus): row for row in SET_BY_UPDATE if row.to_substatus is not None
}
