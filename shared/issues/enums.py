"""Sentry's numbers and strings for group state, so stored rows and API answers match Sentry's
(``../shared/contract/decisions.md`` 12). Values come from ``../shared/contract/sentry-behaviour.md``
§4.4 and §4.6."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class GroupStatus(IntEnum):
    UNRESOLVED = 0
    RESOLVED = 1
    IGNORED = 2  # Sentry's MUTED is an alias
    PENDING_DELETION = 3
    DELETION_IN_PROGRESS = 4
    PENDING_MERGE = 5
    REPROCESSING = 6


# Groups on their way out: Sentry's short id lookup skips them and nothing may resolve them.
GONE_STATUSES = frozenset(
    {GroupStatus.PENDING_DELETION, GroupStatus.DELETION_IN_PROGRESS, GroupStatus.PENDING_MERGE}
)
# Groups whose deletion is queued or running: their own job is on its way.
DELETING_STATUSES = frozenset({GroupStatus.PENDING_DELETION, GroupStatus.DELETION_IN_PROGRESS})


class GroupSubStatus(IntEnum):
    UNTIL_ESCALATING = 1
    ESCALATING = 2
    ONGOING = 3
    UNTIL_CONDITION_MET = 4
    FOREVER = 5
    REGRESSED = 6
    NEW = 7


SUBSTATUS_TO_STR: dict[GroupSubStatus, str] = {
    GroupSubStatus.UNTIL_ESCALATING: "archived_until_escalating",
    GroupSubStatus.ESCALATING: "escalating",
    GroupSubStatus.ONGOING: "ongoing",
    GroupSubStatus.UNTIL_CONDITION_MET: "archived_until_condition_met",
    GroupSubStatus.FOREVER: "archived_forever",
    GroupSubStatus.REGRESSED: "regressed",
    GroupSubStatus.NEW: "new",
}


class PriorityLevel(IntEnum):
    LOW = 25
    MEDIUM = 50
    HIGH = 75


class GroupInboxReason(IntEnum):
    NEW = 0
    UNIGNORED = 1  # deprecated in Sentry, kept so old values still read
    REGRESSION = 2
    MANUAL = 3
    REPROCESSED = 4
    ESCALATING = 5
    ONGOING = 6


class GroupInboxRemoveAction(StrEnum):
    RESOLVED = "resolved"
    IGNORED = "ignored"
    MARK_REVIEWED = "mark_reviewed"


class ActivityType(IntEnum):
    SET_RESOLVED = 1
    SET_UNRESOLVED = 2
    SET_IGNORED = 3
    SET_PUBLIC = 4
    SET_PRIVATE = 5
    SET_REGRESSION = 6
    CREATE_ISSUE = 7
    NOTE = 8
    FIRST_SEEN = 9
    RELEASE = 10
    ASSIGNED = 11
    UNASSIGNED = 12
    SET_RESOLVED_IN_RELEASE = 13
    MERGE = 14
    SET_RESOLVED_BY_AGE = 15
    SET_RESOLVED_IN_COMMIT = 16
    DEPLOY = 17
    NEW_PROCESSING_ISSUES = 18
    UNMERGE_SOURCE = 19
    UNMERGE_DESTINATION = 20
    SET_RESOLVED_IN_PULL_REQUEST = 21
    REPROCESS = 22
    MARK_REVIEWED = 23
    AUTO_SET_ONGOING = 24
    SET_ESCALATING = 25
    SET_PRIORITY = 26
    # Newer than the list we have; its number was not checked against Sentry, 27 is our choice.
    REFERENCED_IN_COMMIT = 27
    # Ours (Sentry records none): an issue alert rule fired for the issue (data: rule, eventId).
    ALERT_FIRED = 1001


class GroupHistoryStatus(IntEnum):
    UNRESOLVED = 0
    RESOLVED = 1
    AUTO_RESOLVED = 2
    IGNORED = 3
    UNIGNORED = 4
    ASSIGNED = 5
    UNASSIGNED = 6
    REGRESSED = 7
    DELETED = 8
    DELETED_AND_DISCARDED = 9
    REVIEWED = 10
    SET_RESOLVED_IN_RELEASE = 11
    SET_RESOLVED_IN_COMMIT = 12
    SET_RESOLVED_IN_PULL_REQUEST = 13
    ESCALATING = 14
    ARCHIVED_UNTIL_ESCALATING = 15
    ARCHIVED_FOREVER = 16
    ARCHIVED_UNTIL_CONDITION_MET = 17
    PRIORITY_HIGH = 18
    PRIORITY_MEDIUM = 19
    PRIORITY_LOW = 20


class GroupResolutionType(IntEnum):
    IN_RELEASE = 0
    IN_NEXT_RELEASE = 1
    IN_UPCOMING_RELEASE = 2
    IN_FUTURE_RELEASE = 3


class GroupResolutionStatus(IntEnum):
    PENDING = 0
    RESOLVED = 1


class GroupSubscriptionReason(IntEnum):
    """Why a user follows a group; the API shows the lower-case name (``{"reason": "unknown"}``)."""

    IMPLICIT = -1
    UNKNOWN = 0
    COMMENT = 1
    ASSIGNED = 2
    BOOKMARK = 3
    STATUS_CHANGE = 4
    DEPLOY_SETTING = 5
    MENTIONED = 6
    TEAM_MENTIONED = 7


# The API's names for the statuses an update may set (Sentry's STATUS_UPDATE_CHOICES): "muted" is the
# legacy name of "ignored", and "resolvedInNextRelease" is a resolve whose release is the next one.
STATUS_UPDATE_CHOICES: dict[str, GroupStatus] = {
    "resolved": GroupStatus.RESOLVED,
    "unresolved": GroupStatus.UNRESOLVED,
    "ignored": GroupStatus.IGNORED,
    "resolvedInNextRelease": GroupStatus.UNRESOLVED,
    "muted": GroupStatus.IGNORED,
}

STR_TO_SUBSTATUS: dict[str, GroupSubStatus] = {text: value for value, text in SUBSTATUS_TO_STR.items()}
