"""The one shape of every automatic transition an event causes (regression, snooze expiry,
escalation): a status change conditional on the status it starts from, written in one transaction
with its Activity and GroupHistory rows, the rows it ends (such as a snooze) and the inbox row.

The condition makes concurrent events race safely: exactly one of them performs the transition and
logs it; the others see the condition fail and log nothing, as Sentry's filtered ``update`` does.
The activity row is keyed by its cause (the event and the transition), on condition that it is new:
a delivery that finishes the steps of events counted before (``shared.ingest.ledger``) performs the
transition an event caused at most once, even when the group went back to the starting state
meanwhile. The inbox row is in the same transaction (``inbox_write``), so a transition is never
left without it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared.ingest.event import Event
from shared.issues.activity import new_activity
from shared.issues.history import new_group_history
from shared.issues.inbox import inbox_write
from shared.issues.status.transitions import ESCALATED, REGRESSED, SNOOZE_OVER, StatusTransition
from shared.issues.transaction import transaction
from shared.notifications.queue import queue_activities
from shared.storage.base import batch_get, cancelled_by_condition
from shared.storage.issues import Activity, Group, IssueItem

# The transitions an event causes, by the name the pipeline gives them (``Outcome.transition``).
CAUSED = {"regressed": REGRESSED, "unignored": SNOOZE_OVER, "escalated": ESCALATED}


@dataclass(frozen=True)
class Transition:
    """One event's transition: its row of the status table (``rule``: where it starts, what it
    sets, logs and puts in the inbox) and what this occurrence adds to it."""

    rule: StatusTransition
    activity_data: dict[str, Any] = field(default_factory=dict)
    inbox_details: dict[str, Any] | None = None
    release_version: str | None = None
    ends: tuple[IssueItem, ...] = ()  # rows deleted with the transition (snooze, resolution)
    caused_by: str | None = None  # the event that causes it: its activity is written once


def apply_transition(group: Group, transition: Transition, when: datetime) -> bool:
    """Perform ``transition`` on ``group`` if it is still in the starting state; returns whether it
    did (``group`` is then updated in place). Costs one TransactWriteItems."""
    rule = transition.rule
    assert rule.activity is not None and rule.history is not None and rule.inbox_reason is not None
    cause = None if transition.caused_by is None else _cause(transition.caused_by, rule)
    activity = new_activity(group, rule.activity, data=transition.activity_data, when=when, cause=cause)
    inbox, inbox_actions = inbox_write(group, rule.inbox_reason, transition.inbox_details)
    history = new_group_history(group, rule.history, release_version=transition.release_version, when=when)
    try:
        with transaction() as write:
            for row in transition.ends:
                write.delete(row)
            write.save(activity, condition=Activity.pk.does_not_exist() if cause else None)
            write.save(history)
            write.update(group, rule.actions(group), rule.from_condition())
            write.update(inbox, inbox_actions)
    except TransactWriteError as error:
        cancelled = cancelled_by_condition(error)
        activity_put = len(transition.ends)  # deletes, then the puts, then the updates
        group_update = activity_put + 2
        if any(cancelled[activity_put : group_update + 1 : 2]):
            return False  # performed before (its activity is there) or not in the starting state
        raise
    rule.performed_on(group)
    queue_activities([activity])  # written once (its key is its cause's), so queued once
    return True


def _cause(event_id: str, rule: StatusTransition) -> str:
    assert rule.activity is not None
    return f"{event_id}#{int(rule.activity)}"


def performed_before(group: Group, events: list[Event]) -> tuple[Event, str] | None:
    """The transition one of ``events`` performed on ``group`` earlier (a delivery that died after
    it), found by its activity row, whose key the event and the transition make: one BatchGetItem
    of the candidate keys; the event and the transition's name, or None."""
    candidates = {
        Activity.caused_key(group.id, event.timestamp, _cause(event.event_id, rule)): (event, name)
        for event in events
        for name, rule in CAUSED.items()
    }
    found = batch_get(Activity, list(candidates), consistent_read=True)
    performed = [candidates[(row.pk, row.sk)] for row in found if (row.pk, row.sk) in candidates]
    return min(performed, key=lambda pair: pair[0].timestamp) if performed else None
