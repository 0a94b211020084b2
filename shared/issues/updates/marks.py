"""A user's own marks on a group: seen, bookmarked, subscribed (Sentry's handle_has_seen,
handle_is_bookmarked, handle_is_subscribed). They depend on nothing else of the group, so they are
plain puts and deletes, last writer wins. Subscribing "if absent" is the exception: it is written
in the group's transaction, on condition that no subscription row was written since it was read."""

from __future__ import annotations

from datetime import datetime

from shared.issues.enums import GroupSubscriptionReason
from shared.issues.state import GroupState
from shared.issues.updates.assignment import subscription
from shared.issues.updates.changes import GroupChange
from shared.storage.group_people import GroupBookmark, GroupSeen, GroupSubscription
from shared.storage.issues import IssueItem


def subscribe_if_absent(
    state: GroupState, change: GroupChange, user_id: int, reason: GroupSubscriptionReason
) -> None:
    """Sentry's subscribe is a get_or_create: an existing row (even an unsubscribe) is kept, and so
    is one this change already writes."""
    row = subscription(state.group, user_id, reason)
    if state.subscription is None and not change.writes(row):
        change.put(row, condition=IssueItem.pk.does_not_exist())


def plan_seen(
    state: GroupState, change: GroupChange, seen: bool, user_id: int, is_member: bool, now: datetime
) -> None:
    """Only members of the group's project leave a seen mark (a non-member's view records nothing)."""
    pk, sk = GroupSeen.key(state.group.id, user_id)
    if not seen:
        change.unmark(GroupSeen(pk, sk))
    elif is_member:
        change.mark(
            GroupSeen(pk=pk, sk=sk, user_id=user_id, project_id=state.group.project_id, last_seen=now)
        )


def plan_bookmark(
    state: GroupState, change: GroupChange, bookmarked: bool, user_id: int, now: datetime
) -> None:
    """Bookmarking subscribes (reason bookmark); un-bookmarking drops the user's subscription too."""
    group = state.group
    pk, sk = GroupBookmark.key(group.id, user_id)
    if bookmarked:
        change.mark(GroupBookmark(pk=pk, sk=sk, user_id=user_id, project_id=group.project_id, date_added=now))
        subscribe_if_absent(state, change, user_id, GroupSubscriptionReason.BOOKMARK)
    else:
        change.unmark(GroupBookmark(pk, sk))
        change.unmark(GroupSubscription(*GroupSubscription.key(group.id, user_id)))


def plan_subscription(state: GroupState, change: GroupChange, subscribed: bool, user_id: int) -> None:
    change.mark(subscription(state.group, user_id, GroupSubscriptionReason.UNKNOWN, active=subscribed))
