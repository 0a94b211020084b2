"""A project's issue alert rules (Sentry's project rules endpoints), which issues each fired for,
and the legacy notification plugins (webhooks, Slack) their service actions post through."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from shared.alerts.history import rule_group_history
from shared.alerts.plugins import configure_plugin, load_plugin, plugin_kind, serialize_plugin, set_enabled
from shared.alerts.rules import (
    create_rule,
    delete_rule,
    get_rule,
    list_rules,
    serialize_rule,
    update_rule,
    validate,
)
from shared.auth.scopes import PROJECT_CREATE, PROJECT_READ
from shared.http.errors import json_response
from shared.http.handler import lambda_handler
from shared.http.models.rules import PluginSettings, RuleBody
from shared.http.request import org_access
from shared.http.resolver import APIGatewayHttpResolver
from shared.projects.service import get_project
from shared.storage.accounts import User
from shared.storage.base import batch_get

app = APIGatewayHttpResolver(enable_validation=True)
# Sentry's ProjectAlertRulePermission: reading takes project:read, changing project:write.
RULE_WRITE = PROJECT_CREATE


def _creators(user_ids: set[int]) -> dict[int, dict[str, Any]]:
    users = batch_get(User, [User.key(i) for i in sorted(user_ids)])
    return {u.id: {"id": u.id, "name": u.name or u.username, "email": u.email} for u in users}


def _serialized(rules: list[Any], project: Any) -> list[dict[str, Any]]:
    creators = _creators({r.created_by for r in rules if r.created_by is not None})
    return [
        serialize_rule(r, project, creators.get(r.created_by) if r.created_by is not None else None)
        for r in rules
    ]


@app.get("/api/0/projects/<org>/<project>/rules")
def get_rules(org: str, project: str) -> Any:
    found = get_project(org_access(app, org), project, PROJECT_READ)
    return _serialized(list_rules(found.id), found)


@app.post("/api/0/projects/<org>/<project>/rules")
def post_rule(org: str, project: str, body: RuleBody) -> Any:
    access = org_access(app, org)
    found = get_project(access, project, RULE_WRITE)
    rule = create_rule(found, validate(app.current_event.json_body), access.principal.user_id)
    return json_response(201, _serialized([rule], found)[0])


@app.get("/api/0/projects/<org>/<project>/rules/<rule_id>")
def get_rule_details(org: str, project: str, rule_id: str) -> Any:
    found = get_project(org_access(app, org), project, PROJECT_READ)
    return _serialized([get_rule(found, rule_id)], found)[0]


@app.put("/api/0/projects/<org>/<project>/rules/<rule_id>")
def put_rule(org: str, project: str, rule_id: str, body: RuleBody) -> Any:
    found = get_project(org_access(app, org), project, RULE_WRITE)
    rule = get_rule(found, rule_id)
    return _serialized([update_rule(rule, validate(app.current_event.json_body))], found)[0]


@app.delete("/api/0/projects/<org>/<project>/rules/<rule_id>")
def delete_rule_details(org: str, project: str, rule_id: str) -> Any:
    found = get_project(org_access(app, org), project, RULE_WRITE)
    delete_rule(get_rule(found, rule_id))
    return Response(status_code=202, body="")


@app.get("/api/0/projects/<org>/<project>/rules/<rule_id>/group-history")
def get_rule_group_history(org: str, project: str, rule_id: str) -> Any:
    access = org_access(app, org)
    found = get_project(access, project, PROJECT_READ)
    return rule_group_history(access, found, get_rule(found, rule_id))


@app.get("/api/0/projects/<org>/<project>/plugins/<plugin>")
def get_plugin(org: str, project: str, plugin: str) -> Any:
    found = get_project(org_access(app, org), project, PROJECT_READ)
    plugin_kind(plugin)
    return serialize_plugin(plugin, load_plugin(found.id, plugin))


@app.put("/api/0/projects/<org>/<project>/plugins/<plugin>")
def put_plugin(org: str, project: str, plugin: str, body: PluginSettings) -> Any:
    found = get_project(org_access(app, org), project, RULE_WRITE)
    return serialize_plugin(plugin, configure_plugin(found, plugin, app.current_event.json_body))


@app.post("/api/0/projects/<org>/<project>/plugins/<plugin>")
def enable_plugin(org: str, project: str, plugin: str) -> Any:
    found = get_project(org_access(app, org), project, RULE_WRITE)
    return json_response(201, serialize_plugin(plugin, set_enabled(found, plugin, True)))


@app.delete("/api/0/projects/<org>/<project>/plugins/<plugin>")
def disable_plugin(org: str, project: str, plugin: str) -> Any:
    found = get_project(org_access(app, org), project, RULE_WRITE)
    set_enabled(found, plugin, False)
    return Response(status_code=204, body="")


handler = lambda_handler(app)
