"""A project's issue alert rules: Sentry's request body checked as its RuleSerializer checks it
(field errors in one 400, nothing stored), stored, listed, changed and serialized in Sentry's shape.

Reads are one Query of the project's rule partition (``shared.storage.alerts``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared.alerts.nodes import ACTION, CONDITION, EMAIL, FILTER, FIRST_SEEN, NodeError, check_node, label
from shared.errors import NotFound, ValidationFailed
from shared.sequences import allocate
from shared.serializers.dates import format_datetime
from shared.storage.accounts import Project
from shared.storage.alerts import AlertRule, RuleGroupStatus, rules_pk
from shared.storage.issues import IssueItem

NAME_MAX = 64
MATCHES = ("all", "any", "none")
# Sentry's limits of ``frequency`` (minutes) and its default when a body leaves it out.
FREQUENCY_MIN, FREQUENCY_MAX, FREQUENCY_DEFAULT = 5, 60 * 24 * 30, 30
ACTOR_FORMAT = "Could not parse actor. Format should be `type:id` where type is `team` or `user`."
DEFAULT_RULE_NAME = "Send a notification for new issues"


def _nodes(
    body: Mapping[str, Any], field: str, kind: str, errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    value = body.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        errors[field] = [f'Expected a list of items but got type "{type(value).__name__}".']
        return []
    checked = []
    for item in value:
        try:
            checked.append(check_node(item, kind))
        except NodeError as error:
            errors.setdefault(field, []).append(str(error))
    return checked


def validate(body: Any) -> dict[str, Any]:
    """The rule a body describes, or ValidationFailed with every field's message (Sentry's)."""
    if not isinstance(body, dict):
        raise ValidationFailed({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    errors: dict[str, list[str]] = {}
    name = body.get("name")
    if name is None:
        errors["name"] = ["This field is required."]
    elif not isinstance(name, str):
        errors["name"] = ["Not a valid string."]
    elif not name.strip():
        errors["name"] = ["This field may not be blank."]
    elif len(name.strip()) > NAME_MAX:
        errors["name"] = [f"Ensure this field has no more than {NAME_MAX} characters."]
    matches = {}
    for field, required in (("actionMatch", True), ("filterMatch", False)):
        value = body.get(field)
        if value is None:
            if required:
                errors[field] = ["This field is required."]
        elif value not in MATCHES:
            errors[field] = [f'"{value}" is not a valid choice.']
        matches[field] = value
    frequency = body.get("frequency", FREQUENCY_DEFAULT)
    if frequency is None:
        frequency = FREQUENCY_DEFAULT
    try:
        if isinstance(frequency, bool) or (isinstance(frequency, float) and not frequency.is_integer()):
            raise ValueError
        frequency = int(str(frequency).strip()) if not isinstance(frequency, (int, float)) else int(frequency)
        if frequency < FREQUENCY_MIN:
            errors["frequency"] = [f"Ensure this value is greater than or equal to {FREQUENCY_MIN}."]
        elif frequency > FREQUENCY_MAX:
            errors["frequency"] = [f"Ensure this value is less than or equal to {FREQUENCY_MAX}."]
    except (ValueError, TypeError):
        errors["frequency"] = ["A valid integer is required."]
    environment = body.get("environment")
    if environment is not None and (not isinstance(environment, str) or len(environment) > NAME_MAX):
        errors["environment"] = [f"Ensure this field has no more than {NAME_MAX} characters."]
    owner = body.get("owner")
    if owner is not None and not (
        isinstance(owner, str)
        and owner.partition(":")[0] in ("user", "team")
        and owner.partition(":")[2].isdigit()
    ):
        errors["owner"] = [ACTOR_FORMAT]
    conditions = _nodes(body, "conditions", CONDITION, errors)
    filters = _nodes(body, "filters", FILTER, errors)
    actions = _nodes(body, "actions", ACTION, errors)
    if not actions and "actions" not in errors:
        errors["actions"] = ["Must select an action"]
    if not conditions and "conditions" not in errors:
        errors["conditions"] = ["Must select a condition"]
    if filters and not matches["filterMatch"] and "filterMatch" not in errors:
        errors["filterMatch"] = ["Must select a filter match (all, any, none) if filters are supplied"]
    if errors:
        raise ValidationFailed(errors)
    return {
        "name": name.strip(),
        "action_match": matches["actionMatch"],
        "filter_match": matches["filterMatch"] or "all",
        "frequency": frequency,
        "environment": environment,
        "owner": owner,
        "conditions": conditions,
        "filters": filters,
        "actions": actions,
    }


def list_rules(project_id: int) -> list[AlertRule]:
    """The project's rules, oldest first (one Query)."""
    return list(AlertRule.query(rules_pk(project_id), AlertRule.sk.startswith("RULE#")))


def get_rule(project: Project, rule_id: str) -> AlertRule:
    if not rule_id.isdigit() or len(rule_id) > 19:
        raise NotFound()
    try:
        return AlertRule.get(*AlertRule.key(project.id, int(rule_id)))
    except DoesNotExist:
        raise NotFound() from None


def create_rule(project: Project, fields: Mapping[str, Any], user_id: int | None) -> AlertRule:
    [rule_id] = allocate("alert_rule")
    pk, sk = AlertRule.key(project.id, rule_id)
    rule = AlertRule(pk=pk, sk=sk, id=rule_id, project_id=project.id, created_by=user_id, **fields)
    rule.save(condition=AlertRule.pk.does_not_exist())
    return rule


def update_rule(rule: AlertRule, fields: Mapping[str, Any]) -> AlertRule:
    """Replace the rule's settings (Sentry's PUT takes the whole rule); the rule must still exist."""
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.save(condition=AlertRule.pk.exists())
    return rule


def delete_rule(rule: AlertRule) -> None:
    """The rule and its statuses (its group history)."""
    pk, _ = RuleGroupStatus.key(rule.id, 0)
    with RuleGroupStatus.batch_write() as batch:
        for status in RuleGroupStatus.query(pk):
            batch.delete(status)
    rule.delete()


def delete_project_rules(project_id: int) -> int:
    """Every rule of a deleted project, with their statuses, and its plugins; the rows deleted."""
    rows = 0
    for item in list(IssueItem.query(rules_pk(project_id))):
        if isinstance(item, AlertRule):
            delete_rule(item)
        else:
            item.delete()
        rows += 1
    return rows


def create_default_rule(project: Project) -> AlertRule:
    """The rule Sentry gives a new project: a new issue mails its owners, else the active members."""
    email = {"id": EMAIL, "targetType": "IssueOwners", "fallthroughType": "ActiveMembers"}
    return create_rule(
        project,
        {
            "name": DEFAULT_RULE_NAME,
            "action_match": "all",
            "filter_match": "all",
            "frequency": FREQUENCY_DEFAULT,
            "environment": None,
            "owner": None,
            "conditions": [{"id": FIRST_SEEN}],
            "filters": [],
            "actions": [email],
        },
        None,
    )


def _with_names(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**node, "name": label(node)} for node in nodes]


def serialize_rule(
    rule: AlertRule, project: Project, created_by: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Sentry's serialization of an issue alert rule."""
    return {
        "id": str(rule.id),
        "conditions": _with_names(rule.conditions),
        "filters": _with_names(rule.filters),
        "actions": _with_names(rule.actions),
        "actionMatch": rule.action_match,
        "filterMatch": rule.filter_match or "all",
        "frequency": rule.frequency,
        "name": rule.name,
        "dateCreated": format_datetime(rule.date_created),
        "owner": rule.owner,
        "createdBy": dict(created_by) if created_by else None,
        "environment": rule.environment,
        "projects": [project.slug],
        "status": "active",
        "snooze": False,
    }
