"""The condition, filter and action nodes a rule may hold: Sentry's ids, their fields, the label
Sentry shows for each, and the check of a node's fields (Sentry's forms: the first error message,
or its generic one when a required field is missing)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

CONDITION, FILTER, ACTION = "condition", "filter", "action"

FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"
REGRESSION = "sentry.rules.conditions.regression_event.RegressionEventCondition"
REAPPEARED = "sentry.rules.conditions.reappeared_event.ReappearedEventCondition"
NEW_HIGH_PRIORITY = "sentry.rules.conditions.high_priority_issue.NewHighPriorityIssueCondition"
EXISTING_HIGH_PRIORITY = "sentry.rules.conditions.high_priority_issue.ExistingHighPriorityIssueCondition"
EVENT_FREQUENCY = "sentry.rules.conditions.event_frequency.EventFrequencyCondition"
USER_FREQUENCY = "sentry.rules.conditions.event_frequency.EventUniqueUserFrequencyCondition"
LEVEL = "sentry.rules.filters.level.LevelFilter"
TAGGED_EVENT = "sentry.rules.filters.tagged_event.TaggedEventFilter"
ISSUE_OCCURRENCES = "sentry.rules.filters.issue_occurrences.IssueOccurrencesFilter"
AGE_COMPARISON = "sentry.rules.filters.age_comparison.AgeComparisonFilter"
ASSIGNED_TO = "sentry.rules.filters.assigned_to.AssignedToFilter"
LATEST_RELEASE = "sentry.rules.filters.latest_release.LatestReleaseFilter"
ISSUE_CATEGORY = "sentry.rules.filters.issue_category.IssueCategoryFilter"
EMAIL = "sentry.mail.actions.NotifyEmailAction"
EVENT_SERVICE = "sentry.rules.actions.notify_event_service.NotifyEventServiceAction"

# Sentry's frequency intervals (minutes), its log levels (numbers as its forms send them).
INTERVALS = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "1d": 1440, "1w": 10080, "30d": 43200}
LEVELS = {"50": "fatal", "40": "error", "30": "warning", "20": "info", "10": "debug"}
LEVEL_RANK = {name: int(number) for number, name in LEVELS.items()}
TAG_MATCHES = {"eq", "ne", "sw", "ew", "co", "nc", "is", "ns"}
AGE_UNITS = {"minute": 1, "hour": 60, "day": 1440, "week": 10080}
# The legacy plugins an event-service action may name (configured under .../plugins/<slug>/).
SERVICES = ("webhooks", "slack")
REQUIRED = "Ensure at least one action is enabled and all required fields are filled in."


class NodeError(ValueError):
    """A node's fields are not acceptable: the message Sentry answers for them."""


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    label: str
    check: Callable[[dict[str, Any]], dict[str, Any]]


def _none(data: dict[str, Any]) -> dict[str, Any]:
    return {}


def _required(data: Mapping[str, Any], field: str) -> Any:
    value = data.get(field)
    if value is None or value == "":
        raise NodeError(REQUIRED)
    return value


def _choice(data: Mapping[str, Any], field: str, choices: Any) -> str:
    value = _required(data, field)
    if str(value) not in choices:
        raise NodeError(f"Select a valid choice. {value} is not one of the available choices.")
    return str(value)


def _integer(data: Mapping[str, Any], field: str, minimum: int = 0) -> int:
    value = _required(data, field)
    if isinstance(value, bool):
        raise NodeError("Enter a whole number.")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise NodeError("Enter a whole number.") from None
    if number < minimum:
        raise NodeError(f"Ensure this value is greater than or equal to {minimum}.")
    return number


def _frequency(data: dict[str, Any]) -> dict[str, Any]:
    value = _integer(data, "value")
    interval = _choice(data, "interval", INTERVALS)
    comparison = data.get("comparisonType") or "count"
    if comparison != "count":
        raise NodeError("Only the count comparison is supported.")
    return {"value": value, "interval": interval, "comparisonType": comparison}


def _level(data: dict[str, Any]) -> dict[str, Any]:
    return {"match": _choice(data, "match", ("eq", "gte", "lte")), "level": _choice(data, "level", LEVELS)}


def _tagged(data: dict[str, Any]) -> dict[str, Any]:
    key = str(_required(data, "key")).strip()
    match = _choice(data, "match", TAG_MATCHES)
    if match in ("is", "ns"):
        return {"key": key, "match": match}
    return {"key": key, "match": match, "value": str(_required(data, "value"))}


def _occurrences(data: dict[str, Any]) -> dict[str, Any]:
    return {"value": _integer(data, "value")}


def _age(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "comparison_type": _choice(data, "comparison_type", ("older", "newer")),
        "value": _integer(data, "value"),
        "time": _choice(data, "time", AGE_UNITS),
    }


def _target(data: dict[str, Any], types: tuple[str, ...]) -> dict[str, Any]:
    target_type = _choice(data, "targetType", types)
    if target_type in ("Team", "Member"):
        return {"targetType": target_type, "targetIdentifier": _integer(data, "targetIdentifier", 1)}
    return {"targetType": target_type}


def _assigned(data: dict[str, Any]) -> dict[str, Any]:
    return _target(data, ("Unassigned", "Team", "Member"))


def _category(data: dict[str, Any]) -> dict[str, Any]:
    return {"value": _integer(data, "value", 1)}


def _email(data: dict[str, Any]) -> dict[str, Any]:
    checked = _target(data, ("IssueOwners", "Team", "Member"))
    if checked["targetType"] == "IssueOwners":
        checked["fallthroughType"] = str(data.get("fallthroughType") or "ActiveMembers")
        if checked["fallthroughType"] not in ("ActiveMembers", "AllMembers", "NoOne"):
            raise NodeError(
                f"Select a valid choice. {checked['fallthroughType']} is not one of the available choices."
            )
    return checked


def _service(data: dict[str, Any]) -> dict[str, Any]:
    return {"service": _choice(data, "service", SERVICES)}


NODES = {
    node.id: node
    for node in (
        Node(FIRST_SEEN, CONDITION, "A new issue is created", _none),
        Node(REGRESSION, CONDITION, "The issue changes state from resolved to unresolved", _none),
        Node(REAPPEARED, CONDITION, "The issue changes state from ignored to unresolved", _none),
        Node(NEW_HIGH_PRIORITY, CONDITION, "Sentry marks a new issue as high priority", _none),
        Node(EXISTING_HIGH_PRIORITY, CONDITION, "Sentry marks an existing issue as high priority", _none),
        Node(
            EVENT_FREQUENCY, CONDITION, "The issue is seen more than {value} times in {interval}", _frequency
        ),
        Node(
            USER_FREQUENCY,
            CONDITION,
            "The issue is seen by more than {value} users in {interval}",
            _frequency,
        ),
        Node(LEVEL, FILTER, "The event's level is {match} {level}", _level),
        Node(TAGGED_EVENT, FILTER, "The event's tags match {key} {match} {value}", _tagged),
        Node(ISSUE_OCCURRENCES, FILTER, "The issue has happened at least {value} times", _occurrences),
        Node(AGE_COMPARISON, FILTER, "The issue is {comparison_type} than {value} {time}", _age),
        Node(ASSIGNED_TO, FILTER, "The issue is assigned to {targetType}", _assigned),
        Node(LATEST_RELEASE, FILTER, "The event is from the latest release", _none),
        Node(ISSUE_CATEGORY, FILTER, "The issue's category is equal to {value}", _category),
        Node(EMAIL, ACTION, "Send a notification to {targetType}", _email),
        Node(EVENT_SERVICE, ACTION, "Send a notification via {service}", _service),
    )
}


def check_node(data: Any, kind: str) -> dict[str, Any]:
    """The node as stored (its id and checked fields), or NodeError with Sentry's message."""
    if not isinstance(data, dict):
        raise NodeError(f"Incorrect type. Expected a mapping, but got {type(data).__name__}")
    if "id" not in data:
        raise NodeError("Missing attribute 'id'")
    node = NODES.get(str(data["id"]))
    if node is None or node.kind != kind:
        raise NodeError(f"Invalid node. Could not find '{data['id']}'")
    return {"id": node.id, **node.check(data)}


def label(data: Mapping[str, Any]) -> str:
    """The node's sentence, as Sentry renders it (its ``name``)."""
    node = NODES[data["id"]]
    values = {key: value for key, value in data.items() if key != "id"}
    if "level" in values:
        values["level"] = LEVELS.get(str(values["level"]), values["level"])
    try:
        return node.label.format(**values)
    except KeyError:
        return node.label.format_map(_Blank(values))


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""
