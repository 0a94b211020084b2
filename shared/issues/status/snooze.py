"""Snoozes: the condition that ends an ``ignored`` state (Sentry's GroupSnooze).

One home for both halves of the rule: building the row when a user ignores a group, and deciding
on a new event whether the condition is met. Counts with a window are measured over the group's
hourly counts; counts without a window are measured from the ``state`` captured at snooze time."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.issues.events.counts import events_since, users_seen, users_since
from shared.storage.base import utcnow
from shared.storage.group_state import GroupSnooze
from shared.storage.issues import Group


def new_snooze(
    group: Group,
    *,
    until: datetime | None,
    count: int | None,
    window: int | None,
    user_count: int | None,
    user_window: int | None,
    actor_id: int | None,
) -> GroupSnooze:
    """An unsaved snooze row for ``group``. A count without a window remembers ``times_seen`` now,
    a user count without a window the users seen now, as Sentry's ``state`` does."""
    state: dict[str, int] = {}
    if count and not window:
        state["times_seen"] = group.times_seen
    if user_count and not user_window:
        state["users_seen"] = users_seen(group.id)
    pk, sk = GroupSnooze.key(group.id)
    return GroupSnooze(
        pk=pk,
        sk=sk,
        until=until,
        count=count,
        window=window,
        user_count=user_count,
        user_window=user_window,
        state=state or None,
        actor_id=actor_id,
        date_added=utcnow(),
    )


def snooze_is_over(snooze: GroupSnooze, group: Group, now: datetime | None = None) -> bool:
    """Whether the snooze no longer holds (Sentry's ``is_valid`` with rates tested, inverted):
    its time passed, or the events (users) counted since snoozing, or within the window, reached
    the count. ``group`` must carry the ``times_seen`` that includes the new event."""
    now = now or utcnow()
    state = snooze.state.as_dict() if snooze.state is not None else {}
    if snooze.until is not None and snooze.until <= now:
        return True
    if snooze.count:
        if snooze.window:
            if events_since(group.id, now - timedelta(minutes=snooze.window)) >= snooze.count:
                return True
        elif group.times_seen - int(state.get("times_seen", 0)) >= snooze.count:
            return True
    if snooze.user_count:
        if snooze.user_window:
            seen = users_since(group.id, now - timedelta(minutes=snooze.user_window))
        else:
            seen = users_seen(group.id) - int(state.get("users_seen", 0))
        if seen >= snooze.user_count:
            return True
    return False
