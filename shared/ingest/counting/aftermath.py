"""What follows counting a group's events: users, tags, the index move and
the transitions (regression, snooze expiry, escalation) on the first event that triggers them.
The group's ``by_project_listing`` key moves only when ``last_seen`` has advanced by ``INDEX_STEP``
since it last moved, so a storm moves it once a minute, not once per event.

Every step is idempotent or guarded (``shared.ingest.ledger``: the entries of a counting are marked
followed up once all its steps succeeded; ``finish_pending`` performs them for events an earlier
delivery counted without getting that far). The alert rules are one of the steps: a delivery that
finishes them evaluates the rules with what the earlier one did to the group (the new group its
event created, the transition it performed), and the per rule, issue and window conditional write
(``shared.alerts.evaluation``) keeps a rule from firing twice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import timedelta

from pynamodb.exceptions import UpdateError

from shared.alerts.evaluation import Batch, evaluate
from shared.ingest import ledger
from shared.ingest.counting.outcome import (
    LIVE_STATUSES,
    Outcome,
    ProjectRef,
    read_group,
    users_of,
)
from shared.ingest.event import Event
from shared.issues.enums import GroupStatus, GroupSubStatus
from shared.issues.events.escalation import escalate_if_needed
from shared.issues.events.regression import regress_group
from shared.issues.events.transitions import performed_before
from shared.issues.events.unsnooze import unsnooze_if_over
from shared.storage.base import condition_failed
from shared.storage.group_state import hour_bucket
from shared.storage.issues import Group, status_index_sk
from shared.tags.store import record_tags

# Sentry bumps last_seen only when it is over a minute old; our index key moves at the same pace.
INDEX_STEP = timedelta(seconds=60)


def after_counting(
    project: ProjectRef,
    group_id: int,
    hash_value: str,
    counted: list[Event],
    outcomes: dict[str, Outcome],
    created: Event | None,
    finishing: bool = False,
    first: Event | None = None,
) -> None:
    """Users, tags, the index move, the transitions of events just counted (their counts went with
    them; their releases' first and last events were recorded for the whole batch,
    ``shared.releases.from_events``) and the alert rules they meet (``shared.alerts``). The issue's
    latest event is the newest the event store keeps (``shared.events``): nothing is written for it
    here.

    ``finishing``: the events were counted by an earlier delivery (``finish_pending``), ``first``
    the one of them that created the group, if any. A transition that delivery performed is not
    performed again, so it is read back (its activity row, keyed by the event that caused it) for
    the alert rules to see, as the first-seen event is."""
    everything = ([created] if created is not None else []) + counted
    users = {hour: users_of(hour_events) for hour, hour_events in _by_hour(everything).items()}
    for event in counted:
        outcomes[event.event_id] = Outcome(event.event_id, hash_value, group_id)
    if not counted:
        record_tags(group_id, [], users)
        return
    # (a group's first event had its tags written with the group, or by the delivery that created
    # it; its users are merged again, which changes nothing)
    record_tags(group_id, [event for event in everything if event is not first], users)
    group = Group.get(*Group.key(group_id), consistent_read=True)
    _move_in_index(group)
    triggered = _transition(group, counted)
    if triggered is not None:
        event, transition = triggered
        outcomes[event.event_id] = Outcome(event.event_id, hash_value, group_id, transition=transition)
    elif finishing:
        triggered = performed_before(group, counted)
    evaluate(project.id, Batch(project.org_id, group, everything, created or first, triggered))


def finish_pending(
    project: ProjectRef,
    pending: list[ledger.Pending],
    hash_of: Mapping[str, str],
    outcomes: dict[str, Outcome],
) -> None:
    """The follow-up steps of events counted by an earlier delivery that did not record them done
    (it died or failed after its commit), for the events of this delivery (``hash_of``: each one's
    grouping hash): per group and hash, ``after_counting`` with them as if just counted (every step
    is idempotent or guarded), the event an entry says created the group as its first; then the
    entries whose owned events were all followed up are marked. A group gone or on its way out
    meanwhile needs nothing more."""
    by_group: dict[tuple[int, str], dict[str, Event]] = defaultdict(dict)
    firsts: set[str] = set()
    for part in pending:
        for event in part.events:
            by_group[(part.group_id, hash_of[event.event_id])][event.event_id] = event
            if part.entry.creates_group:
                firsts.add(event.event_id)
    followed: set[str] = set()
    for (group_id, hash_value), found in by_group.items():
        events = sorted(found.values(), key=lambda event: event.timestamp)
        group = read_group(group_id)
        if group is not None and group.status in LIVE_STATUSES:
            first = next((event for event in events if event.event_id in firsts), None)
            after_counting(project, group_id, hash_value, events, outcomes, None, True, first)
        followed |= set(found)
    ledger.mark_followed([part.entry for part in pending if ledger.covers(part.entry, followed)])


def _by_hour(events: list[Event]) -> dict[str, list[Event]]:
    hours: dict[str, list[Event]] = {}
    for event in events:
        hours.setdefault(hour_bucket(event.timestamp), []).append(event)
    return hours


def _move_in_index(group: Group) -> None:
    """Move the group's ``by_project_listing`` key to its ``last_seen`` when that is ``INDEX_STEP``
    or more ahead of where the key stands; conditional, so a concurrent batch that moved it
    further is never undone."""
    if group.last_seen is None:
        return
    target = status_index_sk(group.last_seen, group.id)
    threshold = status_index_sk(group.last_seen - INDEX_STEP, group.id)
    if group.gsi1sk is not None and group.gsi1sk > threshold:
        return
    try:
        group.update(
            actions=[Group.gsi1sk.set(target)],
            condition=Group.pk.exists() & Group.gsi1pk.exists() & (Group.gsi1sk < target),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _transition(group: Group, events: list[Event]) -> tuple[Event, str] | None:
    """The transition the events cause on their (just counted) group, performed, with the event
    that caused it; None when none."""
    status = group.status
    newest = events[-1]
    if status == GroupStatus.RESOLVED:
        tried: set[str | None] = set()
        for event in events:  # the first event whose release the resolution does not cover
            if event.release in tried:
                continue
            tried.add(event.release)
            if regress_group(group, event.event_id, event.release, event.timestamp):
                return event, "regressed"
            if group.status != GroupStatus.RESOLVED:
                return None
        return None
    if status == GroupStatus.IGNORED:
        if group.substatus is not None and group.substatus == GroupSubStatus.UNTIL_ESCALATING:
            escalated = escalate_if_needed(group, newest.event_id, newest.timestamp)
            return (newest, "escalated") if escalated else None
        return (newest, "unignored") if unsnooze_if_over(group, newest.timestamp, newest.event_id) else None
    return None
