"""Escalation: an archived-until-escalating group whose events this hour exceed today's forecast
comes back as UNRESOLVED/ESCALATING (Sentry's ``manage_issue_states`` for ESCALATING): Activity
SET_ESCALATING with the forecast it beat, GroupHistory ESCALATING, inbox reason ESCALATING."""

from __future__ import annotations

from datetime import datetime

from shared.issues.events.forecast import is_escalating, todays_ceiling
from shared.issues.events.transitions import Transition, apply_transition
from shared.issues.status.transitions import ESCALATED
from shared.storage.group_state import GroupForecast
from shared.storage.issues import Group


def escalate_if_needed(group: Group, event_id: str, when: datetime) -> bool:
    """Escalate ``group`` when the forecast says so; returns whether it did. The forecast and the
    current hour's count are read by ``is_escalating`` (two reads); the forecast is read once more
    only when the group escalates, to log the ceiling it beat."""
    if not is_escalating(group, when):
        return False
    try:
        forecast = GroupForecast.get(*GroupForecast.key(group.id), consistent_read=True)
    except GroupForecast.DoesNotExist:
        forecast = None
    transition = Transition(
        ESCALATED,
        activity_data={"event_id": event_id, "forecast": todays_ceiling(forecast, when)},
        caused_by=event_id,
    )
    return apply_transition(group, transition, when)
