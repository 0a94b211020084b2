"""Assigning groups to a user or a team (Sentry's ActorField, GroupValidator.validate_assignedTo and
GroupAssignee.assign / deassign).

The assignee row is written conditionally on the assignee read, so two concurrent assigners never
both log ASSIGNED over each other, and assigning the current assignee again changes nothing. The new
assignee (or each member of the new team) becomes subscribed with reason "assigned"; the previous
user assignee's "assigned" subscription is removed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared.accounts.organizations import list_members
from shared.accounts.users import find_user_by_name_or_email, get_user
from shared.auth.access import OrgAccess
from shared.errors import ValidationFailed
from shared.issues.activity import new_activity
from shared.issues.enums import ActivityType, GroupHistoryStatus, GroupSubscriptionReason
from shared.issues.history import new_group_history
from shared.issues.state import GroupState
from shared.issues.updates.changes import GroupChange
from shared.storage.accounts import Pointer, Project, Team, User
from shared.storage.base import batch_get, utcnow
from shared.storage.group_people import GroupAssignee, GroupSubscription
from shared.storage.issues import Group, IssueItem

UNRESOLVED_ACTOR = "Unable to resolve actor identifier"


@dataclass(frozen=True)
class Assignee:
    """A validated assignee: a user, or a team with the members it subscribes."""

    user: User | None = None
    team: Team | None = None
    member_ids: tuple[int, ...] = ()

    @property
    def actor(self) -> str:
        return f"user:{self.user.id}" if self.user is not None else f"team:{self.team.id if self.team else 0}"

    def serialize(self) -> dict[str, Any]:
        if self.user is not None:
            return {
                "type": "user",
                "id": str(self.user.id),
                "name": self.user.username,
                "email": self.user.email,
            }
        assert self.team is not None
        return {"type": "team", "id": str(self.team.id), "name": self.team.slug}


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed({"assignedTo": [message]})


def _team(org_id: int, team_id: int) -> Team | None:
    try:
        pointer = Pointer.get(*Team.id_key(team_id))
        team = Team.get(pointer.target_pk, pointer.target_sk)
    except DoesNotExist:
        return None
    return team if team.org_id == org_id else None


def resolve_assignee(access: OrgAccess, value: str, projects: list[Project]) -> Assignee:
    """``"<id>"``, ``"user:<id>"``, a username, a primary email or ``"team:<id>"`` → the assignee,
    checked against every project of the update (skipped in open-membership organizations)."""
    org_id = access.organization.id
    kind, _, ident = value.partition(":") if ":" in value else ("", "", value)
    members = list_members(org_id)
    if kind == "team":
        team = _team(org_id, int(ident)) if ident.isdecimal() else None
        if team is None:
            raise _invalid(UNRESOLVED_ACTOR)
        if not access.organization.open_membership and any(team.id not in p.team_ids for p in projects):
            raise _invalid("Cannot assign to a team without access to the project")
        member_ids = tuple(m.user_id for m in members if team.id in m.team_ids)
        return Assignee(team=team, member_ids=member_ids)
    if kind not in {"", "user"}:
        raise _invalid(UNRESOLVED_ACTOR)
    user = get_user(int(ident)) if ident.isdecimal() else find_user_by_name_or_email(ident)
    member = next((m for m in members if user is not None and m.user_id == user.id), None)
    if user is None or member is None:
        raise _invalid(UNRESOLVED_ACTOR if user is None else "Cannot assign to non-team member")
    if not access.organization.open_membership:
        teams = set(member.team_ids)
        if any(not (p.team_ids & teams) for p in projects):
            raise _invalid("Cannot assign to non-team member")
    return Assignee(user=user)


def subscription(
    group: Group, user_id: int, reason: GroupSubscriptionReason, active: bool = True
) -> GroupSubscription:
    """The user's subscription row for the group (every way of subscribing writes this shape)."""
    pk, sk = GroupSubscription.key(group.id, user_id)
    return GroupSubscription(
        pk=pk, sk=sk, user_id=user_id, project_id=group.project_id, is_active=active, reason=int(reason)
    )


def _previous_assigned_subscriptions(state: GroupState) -> list[GroupSubscription]:
    """The subscriptions that exist only because of the previous assignment: the previous user's, or
    each member's of the previous team (one BatchGetItem; a team costs one Query of its members)."""
    previous = state.assignee
    if previous is None:
        return []
    if previous.user_id is not None:
        user_ids = [previous.user_id]
    elif previous.team_id is not None:
        team_id = previous.team_id
        members = list_members(state.group.org_id)
        user_ids = [m.user_id for m in members if team_id in (m.team_ids or ())]
    else:
        return []
    keys = [GroupSubscription.key(state.group.id, u) for u in user_ids]
    rows = batch_get(GroupSubscription, keys, consistent_read=True)
    return [row for row in rows if row.reason == GroupSubscriptionReason.ASSIGNED]


def _assignee_unchanged(state: GroupState) -> Any:
    """Condition: the assignee row is still the one read."""
    if state.assignee is None:
        return IssueItem.pk.does_not_exist()
    return GroupAssignee.actor == state.assignee.actor


def plan_assignment(
    state: GroupState, change: GroupChange, assignee: Assignee | None, actor_id: int | None
) -> None:
    """Assign (or with ``None`` unassign) the group; nothing when it already is so."""
    group = state.group
    current = state.assignee
    if (current.actor if current else None) == (assignee.actor if assignee else None):
        return
    now = utcnow()
    for stale in _previous_assigned_subscriptions(state):
        change.unmark(stale)
    if assignee is None:
        assert current is not None
        change.delete(current, condition=_assignee_unchanged(state))
        change.put(new_activity(group, ActivityType.UNASSIGNED, user_id=actor_id, when=change.tick()))
        change.put(
            new_group_history(group, GroupHistoryStatus.UNASSIGNED, user_id=actor_id, when=change.tick())
        )
        return
    pk, sk = GroupAssignee.key(group.id)
    row = GroupAssignee(
        pk=pk,
        sk=sk,
        actor=assignee.actor,
        user_id=None if assignee.user is None else assignee.user.id,
        team_id=None if assignee.team is None else assignee.team.id,
        project_id=group.project_id,
        date_added=now,
    )
    change.put(row, condition=_assignee_unchanged(state))
    target = assignee.user or assignee.team
    data = {
        "assignee": str(target.id) if target else "",
        "assigneeEmail": assignee.user.email if assignee.user else None,
        "assigneeType": "user" if assignee.user else "team",
    }
    change.put(new_activity(group, ActivityType.ASSIGNED, user_id=actor_id, data=data, when=change.tick()))
    change.put(new_group_history(group, GroupHistoryStatus.ASSIGNED, user_id=actor_id, when=change.tick()))
    subscribers = [assignee.user.id] if assignee.user else list(assignee.member_ids)
    for user_id in subscribers:
        change.mark(subscription(state.group, user_id, GroupSubscriptionReason.ASSIGNED))
