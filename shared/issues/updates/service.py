"""The issue update (Sentry's update_groups), shared by ``PUT /issues/{id}/`` and the bulk PUTs.

Everything that needs the database is validated first (discard scope, releases and commits of
statusDetails, the assignee, merge across projects), so a 400 writes nothing. Then, in Sentry's order
— discard, priority, status, then the attributes of prepare_response — each handler adds to one
``GroupChange`` per group, and the changes are written together (``commit_changes``). A group whose
change is refused because it moved since it was read (a regression, a concurrent update) is read again
and decided again, so no write is based on a stale read and nothing of a concurrent writer is lost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.auth.scopes import EVENT_ADMIN
from shared.errors import Conflict, ValidationFailed
from shared.issues.deletion.discard import discard_groups
from shared.issues.enums import (
    SUBSTATUS_TO_STR,
    GroupStatus,
    GroupSubscriptionReason,
    GroupSubStatus,
)
from shared.issues.events.forecast import save_forecast
from shared.issues.lookup import IssueScope
from shared.issues.state import GroupState, load_states, reload_groups
from shared.issues.status.resolve import (
    ResolveTarget,
    plan_resolve,
    resolve_target,
    status_details,
    validate_status_details,
)
from shared.issues.status.unresolve import StatusPlan, plan_status, status_plan
from shared.issues.updates.assignment import Assignee, plan_assignment, resolve_assignee
from shared.issues.updates.changes import GroupChange, commit_changes
from shared.issues.updates.marks import plan_bookmark, plan_seen, plan_subscription, subscribe_if_absent
from shared.issues.updates.merge import check_mergeable, merge_groups
from shared.issues.updates.priority import plan_priority
from shared.issues.updates.request import ASSIGNED_BY_CHOICES, IssueUpdate
from shared.issues.updates.review import plan_inbox
from shared.issues.updates.share import plan_share
from shared.issues.views import Actors, load_feed
from shared.notifications.queue import queue_activities
from shared.serializers.accounts import serialize_user
from shared.serializers.activity import serialize_feed
from shared.storage.base import utcnow
from shared.storage.issues import Activity, Group
from shared.storage.releases import Commit

MAX_ATTEMPTS = 5
# Sentry answers a one-group resolution in a release with the group's activity feed.
_ACTIVITY_KINDS = {"next_release", "upcoming_release", "release"}
_RESOLVE_STATUSES = {"resolved", "resolvedInNextRelease"}


@dataclass
class UpdateOutcome:
    """The answer of a bulk update: 200 with Sentry's result dict, or 204 (discard, nothing matched);
    the assignee it validated, so the answer of a single update need not read it again."""

    status_code: int
    body: dict[str, Any] | None
    assignee: Assignee | None = None

    def known_actors(self) -> Actors:
        """The assignee as already read, for serializing the updated group."""
        user = self.assignee.user if self.assignee else None
        team = self.assignee.team if self.assignee else None
        return Actors({user.id: user} if user else {}, {team.id: team} if team else {})


@dataclass
class _Plan:
    """The update as decided once, before reading any group state."""

    update: IssueUpdate
    actor_id: int | None
    actor: dict[str, Any] | None
    resolve: ResolveTarget | None = None
    status: StatusPlan | None = None
    assign: bool = False
    assignee: Assignee | None = None
    member_project_ids: frozenset[int] = frozenset()

    @property
    def subscribes_on_status(self) -> bool:
        """Sentry subscribes the actor to the groups whose status they change (in bulk: resolving)."""
        single_status = self.status is not None and self.status.single
        return self.actor_id is not None and (self.resolve is not None or single_status)

    @property
    def reads(self) -> frozenset[str]:
        """The state rows the update decides on (``load_states`` reads only these)."""
        update, rows = self.update, set()
        if self.resolve is not None:
            rows.add("resolution")
        elif self.status is not None:
            rows |= {"resolution", "snooze"}
        if self.subscribes_on_status:
            rows.add("subscription")
        if self.assign:
            rows.add("assignee")
        if self.actor_id is not None and update.is_bookmarked:
            rows.add("subscription")  # bookmarking subscribes if absent
        if update.is_public is not None:
            rows.add("share")
        if update.inbox is not None:
            rows.add("inbox")
        return frozenset(rows)


def _projects(scope: IssueScope, groups: list[Group]) -> list[Any]:
    ids = sorted({g.project_id for g in groups})
    return [p for p in (scope.project(i) for i in ids) if p is not None]


def _validate(scope: IssueScope, groups: list[Group], update: IssueUpdate) -> _Plan:
    access = scope.access
    user = access.principal.user
    plan = _Plan(update, access.principal.user_id, serialize_user(user) if user is not None else None)
    projects = _projects(scope, groups)
    org_id = access.organization.id
    features = frozenset(access.organization.features or ())
    if update.status in _RESOLVE_STATUSES:
        plan.resolve = resolve_target(update, org_id, projects, features)
    else:
        validate_status_details(update, org_id, projects, features)
        if update.status is not None:
            plan.status = status_plan(update, len(groups))
    if update.sent("assignedTo"):
        plan.assign = True
        if update.assigned_to:
            plan.assignee = resolve_assignee(access, update.assigned_to, projects)
    if update.merge and len(groups) > 1:
        check_mergeable(groups)
    plan.member_project_ids = frozenset(
        p.id for p in projects if access.member is not None and p.team_ids & access.team_ids
    )
    return plan


def _plan_group(plan: _Plan, state: GroupState, result: dict[str, Any]) -> GroupChange:
    """Every write the update makes to one group, in Sentry's order."""
    update, actor_id = plan.update, plan.actor_id
    change = GroupChange(state.group)
    now = utcnow()
    if update.priority is not None:
        plan_priority(state, change, update.priority, actor_id, now)
    if plan.resolve is not None:
        plan_resolve(state, change, plan.resolve, actor_id)
        result.update(status="resolved", statusDetails=status_details(plan.resolve, plan.actor), inbox=None)
    elif plan.status is not None:
        details, substatus = plan_status(state, change, plan.status, actor_id, now)
        ignored = plan.status.status == GroupStatus.IGNORED
        if ignored and "ignoreUntil" in details:
            details = {**details, "actor": plan.actor}
        result["statusDetails"] = details
        result["status"] = "ignored" if ignored else "unresolved"
        result["substatus"] = SUBSTATUS_TO_STR[substatus]
        if ignored:
            result["inbox"] = None
    status_changed = plan.resolve is not None or plan.status is not None
    if plan.subscribes_on_status and actor_id is not None:
        subscribe_if_absent(state, change, actor_id, GroupSubscriptionReason.STATUS_CHANGE)
    if plan.assign:
        plan_assignment(state, change, plan.assignee, actor_id)
        result["assignedTo"] = plan.assignee.serialize() if plan.assignee else None
        result["assignedBy"] = update.assigned_by if update.assigned_by in ASSIGNED_BY_CHOICES else None
    if actor_id is not None:
        _plan_user_marks(plan, state, change, result)
    if update.is_public is not None:
        result["shareId"] = plan_share(state, change, update.is_public, actor_id, now)
    if update.inbox is not None:
        plan_inbox(state, change, update.inbox, actor_id, now, status_given=status_changed)
    return change


def _plan_user_marks(plan: _Plan, state: GroupState, change: GroupChange, result: dict[str, Any]) -> None:
    update, user_id, now = plan.update, plan.actor_id or 0, utcnow()
    if update.has_seen is not None:
        is_member = state.group.project_id in plan.member_project_ids
        plan_seen(state, change, update.has_seen, user_id, is_member, now)
    if update.is_bookmarked is not None:
        plan_bookmark(state, change, update.is_bookmarked, user_id, now)
    if update.is_subscribed is not None:
        plan_subscription(state, change, update.is_subscribed, user_id)
        result["subscriptionDetails"] = {"reason": "unknown"}


def _require_discard_scope(scope: IssueScope) -> None:
    if not scope.access.has_scope(EVENT_ADMIN):
        raise ValidationFailed({"discard": ["You do not have permission to discard events"]})


def update_groups(scope: IssueScope, groups: list[Group], update: IssueUpdate) -> UpdateOutcome:
    """Apply ``update`` to ``groups`` (all inside ``scope``); 400 before any write when invalid."""
    if not groups:
        return UpdateOutcome(204, {"detail": "No groups found"})
    if update.discard:
        _require_discard_scope(scope)
        discard_groups(scope.access, groups, scope.access.principal.user_id)
        return UpdateOutcome(204, None)
    plan = _validate(scope, groups, update)
    result: dict[str, Any] = dict(update.echo)
    pending = groups
    for _ in range(MAX_ATTEMPTS):
        states = load_states(pending, plan.actor_id, consistent=True, rows=plan.reads)
        changes = [_plan_group(plan, state, result) for state in states]
        refused = commit_changes(changes)
        _after_write(plan, [c for c in changes if all(c is not r for r in refused)])
        if not refused:
            break
        pending = reload_groups([c.group.id for c in refused])
    else:
        raise Conflict("The issues changed while being updated; please try again.")
    if update.merge and len(groups) > 1:
        result["merge"] = merge_groups(groups, plan.actor_id)
    if len(groups) == 1 and plan.resolve is not None and plan.resolve.kind in _ACTIVITY_KINDS:
        result["activity"] = serialize_feed(load_feed(groups[0].id))
    return UpdateOutcome(200, result, plan.assignee)


def _after_write(plan: _Plan, written: list[GroupChange]) -> None:
    """Resolved in a commit: the commit remembers the groups, so the release that ships it resolves
    them. Archived until escalating: the forecast is stored once the group is archived. The
    activities written are queued for their workflow notifications."""
    queue_activities(i for c in written for i, _ in c.puts.values() if isinstance(i, Activity))
    target = plan.resolve
    commit: Commit | None = target.commit if target is not None else None
    if commit is not None and written:
        commit.update(actions=[Commit.fixed_groups.add({c.group.id for c in written})])
    status = plan.status
    if (
        status is None
        or status.status != GroupStatus.IGNORED
        or status.substatus != GroupSubStatus.UNTIL_ESCALATING
    ):
        return
    for change in written:
        save_forecast(change.group)
