"""Schemathesis over the served OpenAPI document, against the local API with an owner's token.

Every operation, every check schemathesis has, a fixed seed and enough examples per operation that
each gets past validation many times. The configuration names real data (organization, team,
project and its DSN key, release, issue and its short id) so that calls reach the handlers' logic;
destructive operations get data made for each call (``fuzz_hooks``). The run fails on any check's
failure and on any operation that only ever answered 404."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from tests.conftest import World, events_processed, make_world, unique

SCHEMATHESIS = str(Path(sys.executable).parent / "st")
ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = 10  # per operation in the fuzzing phase, after the coverage phase's cases
SPARE_ISSUES = 40  # issues for the operations that delete or discard the issue they are given
NAMES_STORED_DATA = (
    "^(POST /api/0/organizations/\\\\{org\\\\}/releases"
    "|PUT /api/0/organizations/\\\\{org\\\\}/releases/\\\\{version\\\\}"
    "|GET /api/0/organizations/\\\\{org\\\\}/releases/\\\\{version\\\\}"
    "|POST /api/0/organizations/\\\\{org\\\\}/releases/\\\\{version\\\\}/deploys"
    "|PUT .*/issues(/\\\\{issue_id\\\\})?"
    # a rule's nodes and a plugin's URLs are more than a schema can say
    "|(POST|PUT) /api/0/projects/\\\\{org\\\\}/\\\\{project\\\\}/(rules|plugins).*"
    # data scrubbing's safe fields and advanced rules are Relay's selector and rule syntax
    "|PUT /api/0/projects/\\\\{org\\\\}/\\\\{project\\\\}"
    # a comment repeating one posted within the hour is refused (as Sentry does)
    "|POST /api/0/issues/\\\\{issue_id\\\\}/comments"
    # an assembly names chunks uploaded before it
    "|POST /api/0/organizations/\\\\{org\\\\}/artifactbundle/assemble)$"
)
BULK = "^(PUT|DELETE) /api/0/(organizations/\\\\{org\\\\}|projects/\\\\{org\\\\}/\\\\{project\\\\})/issues$"


RULE = {
    "name": "fuzzed",
    "actionMatch": "all",
    "conditions": [{"id": "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"}],
    "actions": [{"id": "sentry.mail.actions.NotifyEmailAction", "targetType": "IssueOwners"}],
}


def _api(base_url: str, world: World, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, f"{base_url}{path}", headers=world.headers(), timeout=60, **kwargs)
    assert response.status_code in (200, 201), (path, response.status_code, response.text)
    return response.json()


def _issue(base_url: str, world: World, key: dict[str, Any]) -> dict[str, Any]:
    """A new issue of the world's project, made by an event (so it has a latest event to show)."""
    mark = unique("fuzz")
    stored = requests.post(
        f"{base_url}/api/{key['projectId']}/store/",
        params={"sentry_key": key["public"]},
        json={"message": mark, "level": "error", "fingerprint": [mark], "environment": "production"},
        timeout=60,
    )
    assert stored.status_code == 200, stored.text
    events_processed(timeout=60)
    path = f"/api/0/projects/{world.org}/{world.project}/issues/"
    [issue] = _api(base_url, world, "GET", path, params={"query": mark})
    return issue


def _attachment(base_url: str, world: World, key: dict[str, Any]) -> tuple[str, str]:
    """An event sent with an attachment: its id and the attachment's."""
    event_id, payload = uuid.uuid4().hex, b"fuzz attachment\n"
    event = json.dumps({"event_id": event_id, "message": unique("fuzz"), "level": "error"}).encode()
    items = [{"type": "event", "length": len(event)}, event]
    items += [{"type": "attachment", "length": len(payload), "filename": "fuzz.txt"}, payload]
    body = b"\n".join(i if isinstance(i, bytes) else json.dumps(i).encode() for i in [{}, *items]) + b"\n"
    sent = requests.post(
        f"{base_url}/api/{key['projectId']}/envelope/",
        params={"sentry_key": key["public"]},
        data=body,
        timeout=60,
    )
    assert sent.status_code == 200, sent.text
    events_processed(timeout=60)
    path = f"/api/0/projects/{world.org}/{world.project}/events/{event_id}/attachments/"
    [attachment] = _api(base_url, world, "GET", path)
    return event_id, attachment["id"]


def _groups(world: World, count: int) -> list[str]:
    """The ids of ``count`` new issues of the world's project (stored directly: no event needed)."""
    from shared.accounts.organizations import find_organization
    from shared.issues.groups import create_group
    from shared.storage.accounts import Project

    organization = find_organization(world.org)
    assert organization is not None
    project = Project.get(*Project.key(organization.id, world.project))
    return [str(create_group(project, unique("spare"), culprit="fuzz").id) for _ in range(count)]


def _with_global_views(world: World) -> None:
    """The organization lists issues of several projects at once (Sentry's feature; without it the
    organization's issue routes refuse a scope of several projects, and the run creates projects)."""
    from shared.accounts.organizations import find_organization
    from shared.issues.updates.selection import GLOBAL_VIEWS
    from shared.storage.accounts import Organization

    organization = find_organization(world.org)
    assert organization is not None
    organization.update(actions=[Organization.features.add({GLOBAL_VIEWS})])


def _second_organization(world: World) -> World:
    """Another organization, with the world's owner as its owner and a member of its team."""
    from shared.accounts.organizations import add_member, find_organization, join_team
    from shared.accounts.teams import list_teams
    from shared.auth.access import Principal, organization_access

    other = make_world()
    organization = find_organization(other.org)
    assert organization is not None
    member = add_member(organization, world.owner_id, "owner")
    [team] = list_teams(organization_access(Principal.acting_user(world.owner_id), other.org))
    join_team(member, team.id)
    return World(other.org, other.team, other.project, world.owner_id, world.token)


def _config(
    world: World,
    bulk: World,
    version: str,
    issue: dict[str, Any],
    key: dict[str, Any],
    rule: str,
    attachment: tuple[str, str],
) -> str:
    """The run's configuration: real data for every path parameter, placeholders (``fuzz_hooks``)
    where an operation destroys what it is given, another organization for the bulk issue updates
    and deletions (which select every issue of their scope)."""
    return f"""
[warnings]
fail-on = ["missing_test_data"]

[parameters]
"path.org" = "{world.org}"
"path.team" = "{world.team}"
"path.project" = "{world.project}"
"path.version" = "{version}"
"path.issue_id" = "{issue["id"]}"
"path.short_id" = "{issue["shortId"]}"
"path.project_id" = "{key["projectId"]}"
"path.asset" = "app.js"
"path.rule_id" = "{rule}"
"path.plugin" = "webhooks"
"path.user_id" = "me"
"path.environment" = "production"
"path.key" = "level"
"query.sentry_key" = "{key["public"]}"

[phases.coverage]
# An HTTP API answers 404, never 405, for a method it has no route for (docs/decisions.md §tests.3).
unexpected-methods = []

[[operations]]
include-name-regex = "/issues/.+/events/[^/]+$"
parameters = {{ "path.event_id" = "latest" }}

[[operations]]
include-name-regex = "/events/.+/attachments"
parameters = {{ "path.event_id" = "{attachment[0]}", "path.attachment_id" = "{attachment[1]}" }}

[[operations]]
include-name = "DELETE /api/0/projects/{{org}}/{{project}}"
parameters = {{ "path.project" = "fresh-project" }}

[[operations]]
include-name = "DELETE /api/0/projects/{{org}}/{{project}}/rules/{{rule_id}}"
parameters = {{ "path.rule_id" = "fresh-rule" }}

[[operations]]
include-name = "DELETE /api/0/organizations/{{org}}/releases/{{version}}"
parameters = {{ "path.version" = "fresh-release" }}

[[operations]]
include-name-regex = "^DELETE .*/issues/\\\\{{issue_id\\\\}}$"
parameters = {{ "path.issue_id" = "spare-issue" }}

[[operations]]
include-name = "GET /api/0/organizations/{{org}}/repos"
# Its cursor is a DynamoDB position, valid only as a Link header gives it: the first page's.
parameters = {{ "query.cursor" = "" }}

[[operations]]
include-name-regex = "^GET /api/0/.*/events$"
# Event lists: the cursor is a DynamoDB position (valid only as a Link header gives it), start and
# end go together and exclude statsPeriod, and the query is Sentry's grammar: more than a schema says.
parameters = {{ "query.cursor" = "" }}
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /api/{{project_id}}/envelope"
# A text body has no types: an object sent as text ("{{}}") is a valid envelope, not invalid data;
# and which texts are envelopes is more than a schema can say.
checks.negative_data_rejection.enabled = false
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name-regex = "{NAMES_STORED_DATA}"
# Their bodies name stored things (projects, repositories, releases, commits, assignees), or a
# parameter's rule depends on another's (a release's sort with a project): valid by the schema is
# not enough to be accepted, so only this check is left out (docs/decisions.md §tests.3).
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = [
    "POST /api/0/projects/{{org}}/{{project}}/files/difs/assemble",
    "POST /api/0/projects/{{org}}/{{project}}/files/dsyms",
]
# Debug information files are refused by name, whatever the body (§artifacts.1).
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = [
    "PUT /api/0/organizations/{{org}}/issues/{{issue_id}}",
    "PUT /api/0/projects/{{org}}/{{project}}/issues",
]
# Their bodies and code are those of PUT /issues/{{issue_id}} and the organization's bulk PUT (only
# the lookup differs): the coverage phase's hundreds of body variants are sent to those two only.
phases.coverage.enabled = false

[[operations]]
include-name-regex = "{BULK}"
parameters = {{ "path.org" = "{bulk.org}", "path.project" = "{bulk.project}" }}
"""


def test_the_api_holds_up_to_its_own_document(base_url: str, world: World, tmp_path: Path) -> None:
    # The document is built by its function's first request (every handler file parsed). Asked for
    # here first, without schemathesis's fixed 10 s limit on loading a schema: on a machine busy
    # with the other test worker's system starting, that first request has taken longer.
    _with_global_views(world)
    document = requests.get(f"{base_url}/api/0/openapi.json", timeout=120)
    assert document.status_code == 200 and document.json()["paths"], document.text
    version = unique("fuzz")
    _api(
        base_url,
        world,
        "POST",
        f"/api/0/organizations/{world.org}/releases/",
        json={"version": version, "projects": [world.project]},
    )
    [key] = _api(base_url, world, "GET", f"/api/0/projects/{world.org}/{world.project}/keys/")
    issue = _issue(base_url, world, key)
    spares = _groups(world, SPARE_ISSUES)
    bulk = _second_organization(world)
    _groups(bulk, 3)
    config = tmp_path / "schemathesis.toml"
    rule = _api(base_url, world, "POST", f"/api/0/projects/{world.org}/{world.project}/rules/", json=RULE)
    attachment = _attachment(base_url, world, key)
    config.write_text(_config(world, bulk, version, issue, key, rule["id"], attachment))
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            {
                "base_url": base_url,
                "token": world.token,
                "org": world.org,
                "team": world.team,
                "project": world.project,
                "issue": issue["id"],
                "spare_issues": spares,
            }
        )
    )
    started = time.monotonic()
    result = subprocess.run(
        [
            SCHEMATHESIS,
            "--config-file",
            str(config),
            "run",
            f"{base_url}/api/0/openapi.json",
            "-H",
            f"Authorization: Bearer {world.token}",
            "--seed",
            "1",
            "-n",
            str(EXAMPLES),
            "--phases",
            "examples,coverage,fuzzing",
            "--no-color",
            # One worker: on Python 3.11 the ast module's state is shared by threads, and two workers
            # describing hypothesis' filters at once have stopped the run ("AST constructor
            # recursion depth mismatch", inside the coverage phase).
            "--workers",
            "1",
            "--request-timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.integration.fuzz_hooks",
            "FUZZ_STATE": str(state),
            "PYTHONPATH": str(ROOT),
        },
        cwd=tmp_path,
    )
    print(f"schemathesis ran {time.monotonic() - started:.0f} s\n{result.stdout}")
    assert result.returncode == 0, (result.stdout + result.stderr)[-12000:]
    generated = re.search(r"(\d+) generated", result.stdout)
    assert generated and int(generated[1]) > 0 and " passed" in result.stdout, result.stdout[-2000:]
    assert "Missing test data" not in result.stdout, result.stdout[-6000:]
