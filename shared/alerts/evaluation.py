"""Issue alert rules evaluated where the events are counted: once per group and batch, after the
counting and the transitions it caused (``shared.ingest.counting.aftermath``), before the batch's
ledger entries are marked followed up, so a delivery that died after counting evaluates again on
redelivery.

Cost: the project's rules are one Query, kept ``RULES_CACHE_SECONDS`` per warm container (at most
one read per group and batch, none in a storm). A condition or filter on the event and the group
reads nothing; a frequency condition reads the group's hourly counts, an assignment filter its
assignee row, only when the rule's other parts do not already rule it out. A rule fires with a
conditional write of its status for the group (``RuleGroupStatus``: absent, or last fired
``frequency`` minutes before the triggering event, or fired by this very event), then an activity
row and one SQS message for the notifier. The same event firing again (a redelivery after the
write) queues the message again without counting a fire; the notifier delivers each action of a
fire once (``shared.alerts.delivery``). A container also remembers its own recent fires once queued,
so a storm does not try the conditional write batch after batch.

A delivery that dies between counting and queueing leaves its ledger entries without their
follow-up mark; the next delivery of its events evaluates the rules again with what the first one
did to the group: the event that created it, the transition it performed
(``shared.ingest.counting.aftermath``)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from shared.alerts import nodes as n
from shared.alerts.rules import list_rules
from shared.config import settings
from shared.ingest.event import Event
from shared.issues.activity import new_activity
from shared.issues.enums import ActivityType, PriorityLevel
from shared.issues.events.counts import events_since, users_since
from shared.queues import send_job
from shared.storage.alerts import AlertRule, RuleGroupStatus
from shared.storage.base import condition_failed, utcnow
from shared.storage.group_people import GroupAssignee
from shared.storage.issues import Group

RULES_CACHE_SECONDS = 10.0
# SQS takes 256 KB; a notification's event is cut to its main fields above this size.
MAX_MESSAGE_BYTES = 200_000
STATE_CONDITIONS = {n.FIRST_SEEN, n.REGRESSION, n.REAPPEARED, n.NEW_HIGH_PRIORITY, n.EXISTING_HIGH_PRIORITY}

_lock = threading.Lock()
_rules: dict[int, tuple[float, list[AlertRule]]] = {}
_fired: dict[tuple[int, int], datetime] = {}


def project_rules(project_id: int) -> list[AlertRule]:
    """The project's rules, read at most once per ``RULES_CACHE_SECONDS`` in this container."""
    now = time.monotonic()
    with _lock:
        cached = _rules.get(project_id)
    if cached is not None and now - cached[0] < RULES_CACHE_SECONDS:
        return cached[1]
    rules = list_rules(project_id)
    with _lock:
        _rules[project_id] = (now, rules)
    return rules


def forget() -> None:
    """Forget the rules and fires this container remembers, as a new container starts."""
    with _lock:
        _rules.clear()
        _fired.clear()


@dataclass
class Batch:
    """What the batch did to one group: its events (oldest first), the new group's first event and
    the transition one event caused, if any."""

    org_id: int
    group: Group
    events: Sequence[Event]
    created: Event | None
    transition: tuple[Event, str] | None


class _GroupFacts:
    """Reads about the group made at most once per batch, only when a rule needs them."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self._counts: dict[tuple[str, str], int] = {}
        self._assignee: GroupAssignee | bool | None = False

    def frequency(self, kind: str, interval: str) -> int:
        key = (kind, interval)
        if key not in self._counts:
            since = utcnow() - timedelta(minutes=n.INTERVALS[interval])
            count = events_since if kind == n.EVENT_FREQUENCY else users_since
            self._counts[key] = count(self.group.id, since)
        return self._counts[key]

    def assignee(self) -> GroupAssignee | None:
        if self._assignee is False:
            try:
                self._assignee = GroupAssignee.get(*GroupAssignee.key(self.group.id), consistent_read=True)
            except DoesNotExist:
                self._assignee = None
        return self._assignee  # type: ignore[return-value]


def _high_priority(group: Group) -> bool:
    if group.priority is not None:
        return group.priority >= PriorityLevel.HIGH
    return group.level in ("error", "fatal")


def _condition(node: dict[str, Any], event: Event, batch: Batch, facts: _GroupFacts) -> bool:
    kind = node["id"]
    transition = batch.transition[1] if batch.transition and batch.transition[0] is event else None
    if kind == n.FIRST_SEEN:
        return batch.created is event
    if kind == n.REGRESSION:
        return transition == "regressed"
    if kind == n.REAPPEARED:
        return transition == "unignored"
    if kind == n.NEW_HIGH_PRIORITY:
        return batch.created is event and _high_priority(batch.group)
    if kind == n.EXISTING_HIGH_PRIORITY:
        return transition == "escalated" and _high_priority(batch.group)
    return facts.frequency(kind, node["interval"]) > int(node["value"])


def _tags(event: Event) -> dict[str, str]:
    tags = {"level": event.level}
    if event.environment:
        tags["environment"] = event.environment
    if event.release:
        tags["release"] = event.release
    tags.update(event.tags)
    return tags


def _tag_matches(node: dict[str, Any], event: Event) -> bool:
    value = _tags(event).get(node["key"])
    match = node["match"]
    if match in ("is", "ns"):
        return (value is not None) == (match == "is")
    if value is None:
        return match in ("ne", "nc")
    have, want = value.lower(), str(node["value"]).lower()
    return {
        "eq": have == want,
        "ne": have != want,
        "sw": have.startswith(want),
        "ew": have.endswith(want),
        "co": want in have,
        "nc": want not in have,
    }[match]


def _filter(node: dict[str, Any], event: Event, batch: Batch, facts: _GroupFacts) -> bool:
    kind, group = node["id"], batch.group
    if kind == n.LEVEL:
        have, want = n.LEVEL_RANK.get(event.level, 40), int(node["level"])
        return {"eq": have == want, "gte": have >= want, "lte": have <= want}[node["match"]]
    if kind == n.TAGGED_EVENT:
        return _tag_matches(node, event)
    if kind == n.ISSUE_OCCURRENCES:
        return group.times_seen >= int(node["value"])
    if kind == n.AGE_COMPARISON:
        cutoff = utcnow() - timedelta(minutes=int(node["value"]) * n.AGE_UNITS[node["time"]])
        return group.first_seen < cutoff if node["comparison_type"] == "older" else group.first_seen > cutoff
    if kind == n.ASSIGNED_TO:
        assignee = facts.assignee()
        if node["targetType"] == "Unassigned":
            return assignee is None
        field = "team_id" if node["targetType"] == "Team" else "user_id"
        return assignee is not None and getattr(assignee, field) == int(node["targetIdentifier"])
    if kind == n.LATEST_RELEASE:
        # the newest release this group has seen an event of is the event's own
        return bool(event.release) and event is batch.events[-1]
    if kind == n.ISSUE_CATEGORY:
        return (group.category or 1) == int(node["value"])
    return False


def _matches(match: str, nodes: list[dict[str, Any]], passes: Callable[[dict[str, Any]], bool]) -> bool:
    if not nodes:
        return True
    if match == "any":
        return any(passes(node) for node in nodes)
    if match == "none":
        return not any(passes(node) for node in nodes)
    return all(passes(node) for node in nodes)


def _candidates(rule: AlertRule, batch: Batch) -> list[Event]:
    """The events a rule is tried on: those that caused a state its conditions name, else the
    newest (a frequency condition is the group's, its filters the event's)."""
    events = [e for e in batch.events if not rule.environment or e.environment == rule.environment]
    if {node["id"] for node in rule.conditions} <= STATE_CONDITIONS:
        causes = {batch.created, batch.transition[0] if batch.transition else None}
        return [event for event in events if event in causes]
    return events[::-1]


def _passes(rule: AlertRule, event: Event, batch: Batch, facts: _GroupFacts) -> bool:
    def condition(node: dict[str, Any]) -> bool:
        return _condition(node, event, batch, facts)

    def filter_(node: dict[str, Any]) -> bool:
        return _filter(node, event, batch, facts)

    # filters first: they read nothing but the assignee, conditions may read the hourly counts
    return _matches(rule.filter_match or "all", rule.filters, filter_) and _matches(
        rule.action_match, rule.conditions, condition
    )


def evaluate(project_id: int, batch: Batch) -> list[str]:
    """Fire the project's rules that the batch's events meet for the group; the ids of the
    notifications queued."""
    rules = project_rules(project_id)
    if not rules or not batch.events:
        return []
    facts = _GroupFacts(batch.group)
    queued = []
    for rule in rules:
        for event in _candidates(rule, batch):
            if _passes(rule, event, batch, facts):
                notification = _fire(project_id, rule, batch, event)
                if notification is not None:
                    queued.append(notification)
                break
    return queued


def _fire(project_id: int, rule: AlertRule, batch: Batch, event: Event) -> str | None:
    group_id = batch.group.id
    window = timedelta(minutes=rule.frequency)
    with _lock:
        recent = _fired.get((rule.id, group_id))
    if recent is not None and event.timestamp - recent < window:
        return None
    status = RuleGroupStatus(*RuleGroupStatus.key(rule.id, group_id))
    base = [
        RuleGroupStatus.rule_id.set(rule.id),
        RuleGroupStatus.project_id.set(project_id),
        RuleGroupStatus.group_id.set(group_id),
        RuleGroupStatus.kind.set(RuleGroupStatus),
        RuleGroupStatus.last_fired.set(event.timestamp),
        RuleGroupStatus.last_event_id.set(event.event_id),
    ]
    try:
        status.update(
            actions=[*base, RuleGroupStatus.fired.add(1)],
            condition=RuleGroupStatus.pk.does_not_exist()
            | (RuleGroupStatus.last_fired <= event.timestamp - window),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        try:  # fired by this very event before: a redelivery queues it again, counts nothing
            status.update(actions=base, condition=RuleGroupStatus.last_event_id == event.event_id)
        except UpdateError as again:
            if not condition_failed(again):
                raise
            return None
    notification = f"{rule.id}-{group_id}-{event.event_id}"
    data = {
        "rule": {"id": str(rule.id), "name": rule.name},
        "eventId": event.event_id,
        "notification": notification,
    }
    new_activity(
        batch.group, ActivityType.ALERT_FIRED, data=data, when=event.timestamp, cause=notification
    ).save()
    send_job(settings().notifications_queue_url, _message(notification, project_id, batch, rule, event))
    # remembered only once queued: a delivery that failed before must be able to queue it again
    with _lock:
        _fired[(rule.id, group_id)] = event.timestamp
    return notification


def _message(
    notification: str, project_id: int, batch: Batch, rule: AlertRule, event: Event
) -> dict[str, Any]:
    payload = dict(event.data or {})
    payload["event_id"] = event.event_id
    message = {
        "notification": notification,
        "project_id": project_id,
        "org_id": batch.org_id,
        "group_id": batch.group.id,
        "rule": {"id": str(rule.id), "name": rule.name, "actions": rule.actions},
        "event": payload,
        "level": event.level,
        "message": event.message or event.title,
    }
    if len(json.dumps(message, default=str)) > MAX_MESSAGE_BYTES:
        kept = ("event_id", "level", "message", "platform", "release", "environment", "timestamp", "tags")
        message["event"] = {key: payload[key] for key in kept if key in payload}
    return message
