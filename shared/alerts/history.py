"""A rule's group history (Sentry's ``…/rules/{id}/group-history/``): the issues it fired for, how
often and when last, newest first. One Query of the rule's statuses, then the issues' views."""

from __future__ import annotations

from typing import Any

from shared.auth.access import OrgAccess
from shared.issues.views import fresh_group_views
from shared.serializers.dates import format_datetime
from shared.serializers.groups import serialize_group
from shared.storage.accounts import Project
from shared.storage.alerts import AlertRule, RuleGroupStatus

# Sentry pages the history; one page of the most recent issues is what it shows by default.
HISTORY_LIMIT = 100


def rule_group_history(access: OrgAccess, project: Project, rule: AlertRule) -> list[dict[str, Any]]:
    pk, _ = RuleGroupStatus.key(rule.id, 0)
    statuses = sorted(RuleGroupStatus.query(pk), key=lambda s: s.last_fired, reverse=True)[:HISTORY_LIMIT]
    views = fresh_group_views(
        access.organization, [project], [s.group_id for s in statuses], access.principal.user_id
    )
    by_id = {view.state.group.id: view for view in views}
    return [
        {
            "group": serialize_group(by_id[s.group_id]),
            "count": s.fired or 0,
            "lastTriggered": format_datetime(s.last_fired),
            "eventId": s.last_event_id,
        }
        for s in statuses
        if s.group_id in by_id
    ]
