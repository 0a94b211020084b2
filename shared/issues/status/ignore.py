"""Ignoring (archiving) groups: Sentry's handle_ignored and handle_archived_until_escalating.

Either way the group leaves the inbox (its row of ``shared.issues.status.transitions``). With a
duration, a count or a user count, one GroupSnooze row replaces any earlier one and says when the
group comes back; without, earlier snoozes are removed (ignored forever). Until escalating stores the
forecast of daily ceilings the group's events are compared with (docs/decisions.md §status.3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.issues.state import GroupState
from shared.issues.status.snooze import new_snooze
from shared.issues.updates.changes import GroupChange
from shared.issues.updates.request import StatusDetails


def snooze_options(details: StatusDetails) -> dict[str, int | None]:
    """The options as Sentry reads them: 0 counts as not given (``or None``)."""
    return {
        "duration": details.ignore_duration or None,
        "count": details.ignore_count or None,
        "window": details.ignore_window or None,
        "user_count": details.ignore_user_count or None,
        "user_window": details.ignore_user_window or None,
    }


def creates_snooze(details: StatusDetails) -> bool:
    """A window alone does not snooze; a duration, a count or a user count does."""
    options = snooze_options(details)
    return any(options[name] for name in ("duration", "count", "user_count"))


def snooze_until(details: StatusDetails, now: datetime) -> datetime | None:
    duration = snooze_options(details)["duration"]
    return None if duration is None else now + timedelta(minutes=duration)


def plan_ignored(
    state: GroupState, change: GroupChange, details: StatusDetails, actor_id: int | None, now: datetime
) -> dict[str, Any] | None:
    """Snooze (or un-snooze) the group; returns the snooze's options for statusDetails, or None when
    it is ignored forever."""
    group = state.group
    if not creates_snooze(details):
        if state.snooze is not None:
            change.delete(state.snooze)
        return None
    options = snooze_options(details)
    until = snooze_until(details, now)
    change.put(
        new_snooze(
            group,
            until=until,
            count=options["count"],
            window=options["window"],
            user_count=options["user_count"],
            user_window=options["user_window"],
            actor_id=actor_id,
        )
    )
    return {
        "ignoreCount": options["count"],
        "ignoreUntil": until,
        "ignoreUserCount": options["user_count"],
        "ignoreUserWindow": options["user_window"],
        "ignoreWindow": options["window"],
    }


def plan_until_escalating(state: GroupState, change: GroupChange) -> None:
    """No snooze applies (the forecast is saved once the change is written)."""
    if state.snooze is not None:
        change.delete(state.snooze)
