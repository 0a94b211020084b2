"""Schemathesis hooks of the OpenAPI fuzz test (loaded through ``SCHEMATHESIS_HOOKS``).

The run's configuration names real data (an organization, team, project, release, issue, short id
and DSN key, alert rule), so calls get past the lookups. Operations that destroy what they are given
(deleting a project, a release, an issue or an alert rule, discarding an issue) are configured with
a placeholder instead, replaced here before each call by something made for that call alone: the
other operations keep finding their data, however the calls interleave."""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

import requests
import schemathesis

STATE: dict[str, Any] = json.loads(Path(os.environ["FUZZ_STATE"]).read_text(encoding="utf-8"))
FRESH_PROJECT = "fresh-project"
FRESH_RELEASE = "fresh-release"
SPARE_ISSUE = "spare-issue"
FRESH_RULE = "fresh-rule"
RULE = {
    "name": "doomed",
    "actionMatch": "all",
    "conditions": [{"id": "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"}],
    "actions": [
        {"id": "sentry.rules.actions.notify_event_service.NotifyEventServiceAction", "service": "webhooks"}
    ],
}

_lock = threading.Lock()
_spare_issues: list[str] = list(STATE["spare_issues"])
# Operations that delete or discard the issue they are given, and how many spares each may use.
_SHARE = len(_spare_issues) // 4
_given: dict[str, list[str]] = {}


# The envelope body is text; send it as text/plain bodies are sent.
schemathesis.serializer.alias("application/x-sentry-envelope", "text/plain")


def _post(path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(
        f"{STATE['base_url']}{path}",
        json=body,
        headers={"Authorization": f"Bearer {STATE['token']}"},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()


def _fresh_project() -> str:
    name = f"doomed-{uuid.uuid4().hex[:10]}"
    return _post(f"/api/0/teams/{STATE['org']}/{STATE['team']}/projects/", {"name": name})["slug"]


def _fresh_release() -> str:
    version = f"doomed-{uuid.uuid4().hex[:10]}"
    body = {"version": version, "projects": [STATE["project"]]}
    return _post(f"/api/0/organizations/{STATE['org']}/releases/", body)["version"]


def _fresh_rule() -> str:
    return str(_post(f"/api/0/projects/{STATE['org']}/{STATE['project']}/rules/", RULE)["id"])


def _spare_issue(operation: str) -> str:
    """An issue no other call uses; once the operation has had its share, the last one it had
    again (by then deleted or discarded)."""
    with _lock:
        given = _given.setdefault(operation, [])
        if len(given) < _SHARE and _spare_issues:
            given.append(_spare_issues.pop())
        return given[-1]


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    parameters = case.path_parameters
    if parameters is None:
        return
    if parameters.get("project") == FRESH_PROJECT:
        parameters["project"] = _fresh_project()
    if parameters.get("version") == FRESH_RELEASE:
        parameters["version"] = _fresh_release()
    if parameters.get("rule_id") == FRESH_RULE:
        parameters["rule_id"] = _fresh_rule()
    discards = (
        case.method.upper() == "PUT" and isinstance(case.body, dict) and case.body.get("discard") is True
    )
    if parameters.get("issue_id") == SPARE_ISSUE or (
        discards and parameters.get("issue_id") == STATE["issue"]
    ):
        parameters["issue_id"] = _spare_issue(case.operation.label)
