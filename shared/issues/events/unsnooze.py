"""Snooze expiry: an ignored group whose snooze condition is met by a new event comes back
(Sentry's ``process_snoozes``): UNRESOLVED/ONGOING, the snooze row deleted, Activity SET_UNRESOLVED,
GroupHistory UNIGNORED and inbox reason UNIGNORED with the snooze's terms as reason details."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.issues.events.transitions import Transition, apply_transition
from shared.issues.status.snooze import snooze_is_over
from shared.issues.status.transitions import SNOOZE_OVER
from shared.storage.group_state import GroupSnooze
from shared.storage.issues import Group


def _snooze_details(snooze: GroupSnooze) -> dict[str, Any]:
    details = {
        "until": snooze.until,
        "count": snooze.count,
        "window": snooze.window,
        "user_count": snooze.user_count,
        "user_window": snooze.user_window,
    }
    return {k: int(v) if isinstance(v, float) else v for k, v in details.items() if v is not None}


def unsnooze_if_over(group: Group, when: datetime, event_id: str | None = None) -> bool:
    """Reopen the ignored ``group`` if its snooze no longer holds; returns whether it did.
    A group ignored without a snooze (forever) stays ignored. ``group`` must carry the
    ``times_seen`` that includes the new event (the updated item does)."""
    try:
        snooze = GroupSnooze.get(*GroupSnooze.key(group.id), consistent_read=True)
    except GroupSnooze.DoesNotExist:
        return False
    if not snooze_is_over(snooze, group, when):
        return False
    transition = Transition(
        SNOOZE_OVER,
        inbox_details=_snooze_details(snooze) or None,
        ends=(snooze,),
        caused_by=event_id,
    )
    return apply_transition(group, transition, when)
