"""Issue alert rules and what they fired, in the issues table.

- ``AlertRule``: a project's rules under one partition (``PROJECT#<id>#RULES``), so the processor
  reads all of a project's rules with one Query (and keeps them a few seconds per container).
- ``RuleGroupStatus``: one item per rule and group (``RULE#<id>`` / ``GROUP#<id>``), Sentry's
  GroupRuleStatus and RuleFireHistory in one: when the rule last fired for the group (the
  triggering event's time), for which event, and how often. A fire is a conditional update of it
  (absent, or last fired ``frequency`` minutes before the triggering event), so concurrent or
  redelivered batches fire a rule once per group and window; the rule's group history is one Query.
- ``Delivery``: the notifier's record that one action of one fire was delivered (expires after 30
  days), so a notification queued twice is sent once."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from shared.storage.base import utcnow
from shared.storage.integers import IntegerAttribute
from shared.storage.issues import IssueItem


def rules_pk(project_id: int) -> str:
    return f"PROJECT#{project_id}#RULES"


class AlertRule(IssueItem, discriminator="alert_rule"):
    id = IntegerAttribute()
    project_id = IntegerAttribute()
    name = UnicodeAttribute()
    action_match = UnicodeAttribute()
    filter_match = UnicodeAttribute(null=True)
    frequency = IntegerAttribute()  # minutes between fires for one group
    environment = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)  # "user:<id>" or "team:<id>"
    conditions = JSONAttribute()
    filters = JSONAttribute()
    actions = JSONAttribute()
    created_by = IntegerAttribute(null=True)  # user id
    date_created = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(project_id: int, rule_id: int) -> tuple[str, str]:
        return rules_pk(project_id), f"RULE#{rule_id:020d}"


class RuleGroupStatus(IssueItem, discriminator="rule_group"):
    rule_id = IntegerAttribute()
    project_id = IntegerAttribute()
    group_id = IntegerAttribute()
    last_fired = UTCDateTimeAttribute()  # the triggering event's time
    last_event_id = UnicodeAttribute()
    fired = IntegerAttribute(default=0)

    @staticmethod
    def key(rule_id: int, group_id: int) -> tuple[str, str]:
        return f"RULE#{rule_id}", f"GROUP#{group_id:020d}"


class Delivery(IssueItem, discriminator="delivery"):
    notification = UnicodeAttribute()
    delivered_at = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(notification: str) -> tuple[str, str]:
        return f"NOTIFY#{notification}", "DELIVERED"


class ServicePlugin(IssueItem, discriminator="service_plugin"):
    """A project's legacy notification plugin (``webhooks``, ``slack``): on or off, and its settings."""

    project_id = IntegerAttribute()
    slug = UnicodeAttribute()
    enabled = BooleanAttribute(default=False)
    config = JSONAttribute(default=dict)

    @staticmethod
    def key(project_id: int, slug: str) -> tuple[str, str]:
        return rules_pk(project_id), f"PLUGIN#{slug}"
