"""Groups as Sentry's GroupSerializer answers them (ids and counts as strings, dates RFC 3339)."""

from __future__ import annotations

from typing import Any, NotRequired

from typing_extensions import TypedDict

from shared.issues.enums import (
    SUBSTATUS_TO_STR,
    GroupResolutionType,
    GroupStatus,
    GroupSubscriptionReason,
    GroupSubStatus,
    PriorityLevel,
)
from shared.issues.periods import ListPeriods, stats_body
from shared.issues.short_ids import format_short_id
from shared.issues.views import Actors, GroupView
from shared.public_url import public_url
from shared.serializers.accounts import UserBody, serialize_user
from shared.serializers.dates import format_datetime
from shared.storage.group_people import GroupAssignee
from shared.storage.group_state import GroupSnooze
from shared.storage.issues import Group


class GroupProjectBody(TypedDict):
    id: str
    name: str
    slug: str
    platform: str | None


class InboxBody(TypedDict):
    reason: int
    reason_details: dict[str, Any] | None
    date_added: str | None


class GroupBody(TypedDict):
    id: str
    shortId: str
    title: str
    culprit: str | None
    permalink: str
    logger: str | None
    level: str
    status: str
    statusDetails: dict[str, Any]
    substatus: str | None
    isPublic: bool
    shareId: str | None
    platform: str | None
    project: GroupProjectBody
    type: str
    issueType: str
    issueCategory: str
    metadata: dict[str, Any]
    numComments: int
    annotations: list[Any]
    assignedTo: dict[str, Any] | None
    isBookmarked: bool
    isSubscribed: bool
    subscriptionDetails: dict[str, Any] | None
    hasSeen: bool
    isUnhandled: bool
    priority: str | None
    priorityLockedAt: str | None
    count: str
    userCount: int
    stats: dict[str, list[list[int]]]
    firstSeen: str | None
    lastSeen: str | None
    inbox: InboxBody | None
    lifetime: NotRequired[dict[str, Any]]


_STATUS_LABELS = {
    GroupStatus.UNRESOLVED: "unresolved",
    GroupStatus.RESOLVED: "resolved",
    GroupStatus.IGNORED: "ignored",
    GroupStatus.PENDING_DELETION: "pending_deletion",
    GroupStatus.DELETION_IN_PROGRESS: "pending_deletion",
    GroupStatus.PENDING_MERGE: "pending_merge",
    GroupStatus.REPROCESSING: "reprocessing",
}


class ShortIdBody(TypedDict):
    """Sentry's short-id lookup: where the issue lives, and the issue itself."""

    organizationSlug: str
    projectSlug: str
    groupId: str
    group: GroupBody
    shortId: str


def serialize_actor(assignee: GroupAssignee | None, actors: Actors) -> dict[str, Any] | None:
    """``assignedTo``: a user ``{type, id, name (username), email}`` or a team ``{type, id, name (slug)}``."""
    if assignee is None:
        return None
    if assignee.user_id is not None:
        user = actors.users.get(assignee.user_id)
        if user is None:
            return None
        return {"type": "user", "id": str(user.id), "name": user.username, "email": user.email}
    team = actors.teams.get(assignee.team_id or 0)
    return None if team is None else {"type": "team", "id": str(team.id), "name": team.slug}


def actor_user(user_id: int | None, actors: Actors) -> UserBody | None:
    user = None if user_id is None else actors.users.get(int(user_id))
    return None if user is None else serialize_user(user)


def snooze_details(snooze: GroupSnooze, group: Group, actors: Actors) -> dict[str, Any]:
    """statusDetails of a snoozed group, in Sentry's shape: a count without a window shows what is left."""
    state = snooze.state.as_dict() if snooze.state is not None else {}
    count = snooze.count
    if count and not snooze.window and "times_seen" in state:
        count = int(count) - (group.times_seen - int(state["times_seen"]))
    return {
        "ignoreCount": None if count is None else int(count),
        "ignoreUntil": format_datetime(snooze.until),
        "ignoreUserCount": snooze.user_count,
        "ignoreUserWindow": snooze.user_window,
        "ignoreWindow": snooze.window,
        "actor": actor_user(snooze.actor_id, actors),
    }


def _status(view: GroupView) -> tuple[str, dict[str, Any]]:
    group, state = view.state.group, view.state
    status = GroupStatus(group.status)
    details: dict[str, Any] = {}
    if status == GroupStatus.IGNORED and state.snooze is not None:
        if view.snooze_over:
            return "unresolved", {}
        details = snooze_details(state.snooze, group, view.actors)
    elif status == GroupStatus.IGNORED and group.substatus == GroupSubStatus.UNTIL_ESCALATING:
        details = {"ignoreUntilEscalating": True}
    elif status == GroupStatus.RESOLVED and state.resolution is not None:
        resolution = state.resolution
        kind = resolution.type
        if kind == GroupResolutionType.IN_RELEASE:
            details["inRelease"] = resolution.release_version
        elif kind == GroupResolutionType.IN_UPCOMING_RELEASE:
            details["inUpcomingRelease"] = True
        elif kind == GroupResolutionType.IN_FUTURE_RELEASE:
            details["inFutureRelease"] = resolution.release_version
        else:
            details["inNextRelease"] = True
        details["actor"] = actor_user(resolution.actor_id, view.actors)
    return _STATUS_LABELS[status], details


def _priority(value: int | None) -> str | None:
    return None if value is None else PriorityLevel(int(value)).name.lower()


def _subscription(view: GroupView) -> tuple[bool, dict[str, Any] | None]:
    row = view.state.subscription
    if row is None:
        return False, None
    if not row.is_active:
        return False, {"disabled": True}
    return True, {"reason": GroupSubscriptionReason(row.reason).name.lower()}


def serialize_group(view: GroupView, periods: ListPeriods | None = None) -> GroupBody:
    """The group as the lists show it; ``periods``: the ``statsPeriod`` its ``count`` and
    ``userCount`` cover (with the totals under ``lifetime``) and the ``stats`` series shown."""
    state, project, org = view.state, view.project, view.organization
    group = state.group
    status, status_details = _status(view)
    subscribed, subscription_details = _subscription(view)
    seen = state.seen is not None and state.seen.last_seen >= group.last_seen
    data = group.data.as_dict() if group.data is not None else {}
    body: GroupBody = {
        "id": str(group.id),
        "shortId": format_short_id(project.slug, group.short_id),
        "title": group.title,
        "culprit": group.culprit,
        "permalink": f"{public_url()}/organizations/{org.slug}/issues/{group.id}/",
        "logger": data.get("logger"),
        "level": group.level,
        "status": status,
        "statusDetails": status_details,
        "substatus": None if group.substatus is None else SUBSTATUS_TO_STR[GroupSubStatus(group.substatus)],
        "isPublic": state.share is not None,
        "shareId": None if state.share is None else state.share.uuid,
        "platform": project.platform,
        "project": {
            "id": str(project.id),
            "name": project.name,
            "slug": project.slug,
            "platform": project.platform,
        },
        # Sentry's event type: "error" for exceptions, "default" for messages.
        "type": data.get("type") or "error",
        "issueType": "error",
        "issueCategory": "error",
        "metadata": data.get("metadata") or {"title": group.title},
        "numComments": 0,
        "annotations": [],
        "assignedTo": serialize_actor(state.assignee, view.actors),
        "isBookmarked": state.bookmark is not None,
        "isSubscribed": subscribed,
        "subscriptionDetails": subscription_details,
        "hasSeen": seen,
        "isUnhandled": False,
        "priority": _priority(group.priority),
        "priorityLockedAt": format_datetime(group.priority_locked_at),
        "count": str(group.times_seen),
        "userCount": view.user_count,
        "stats": stats_body(view.counts, periods.series if periods is not None else ("24h",)),
        "firstSeen": format_datetime(group.first_seen),
        "lastSeen": format_datetime(group.last_seen),
        "inbox": None
        if state.inbox is None
        else {
            "reason": state.inbox.reason,
            "reason_details": state.inbox.reason_details.as_dict() if state.inbox.reason_details else None,
            "date_added": format_datetime(state.inbox.date_added),
        },
    }
    if periods is not None and periods.since is not None:
        body["lifetime"] = {
            "count": body["count"],
            "userCount": body["userCount"],
            "firstSeen": body["firstSeen"],
            "lastSeen": body["lastSeen"],
        }
        body["count"] = str(view.counts.events_since(periods.since))
        body["userCount"] = view.counts.users_since(periods.since)
    return body
