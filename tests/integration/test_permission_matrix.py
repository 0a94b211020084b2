"""Every route of the template against every kind of caller, from one table.

Each row names a route of ``infra/template.yaml`` and the status each caller gets; a route added to
the template without a row fails ``test_every_template_route_has_a_row``. Every caller calls both URL
forms of a route that has them (Sentry's, with the trailing slash, and the bare path: the template's
``/{proxy+}`` twin carries the slash). The refused calls (4xx) run between two readings of every table
and of the depth of every queue of the template, which must be equal: a refusal writes nothing and
queues nothing (no deletion, no commits job, no event).

Callers, in the order of each row's statuses:
none (no header), unknown (a well-formed token nobody issued), malformed (``Bearer`` without a
credential), other_org (the owner of another organization), no_scope (the owner's token with only
``alerts:read``), org_token (``sntrys_``, ``org:ci``), member_no_access (a member of no team of the
project), member_access (a member of the project's team), admin (in the team), owner.

Sentry hides what a caller may not see: another organization, a project outside the caller's teams
and a release of such a project are 404; a visible organization with a missing scope is 403.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests

from local.template import routes
from shared.accounts.organizations import add_member, find_organization, join_team
from shared.auth.tokens import create_org_token
from shared.events.store import Counted, keep_counted
from shared.ingest.counting.outcome import ProjectRef
from shared.ingest.event import normalize_event
from shared.issues.groups import create_group
from shared.issues.short_ids import format_short_id
from shared.releases.from_events import record_named
from shared.storage.accounts import Project, Team
from shared.tags.store import record_tags
from tests.conftest import World, events_processed, make_user, make_world, unique
from tests.integration import stored_items

CALLERS = (
    "none",
    "unknown",
    "malformed",
    "other_org",
    "no_scope",
    "org_token",
    "member_no_access",
    "member_access",
    "admin",
    "owner",
)


@dataclass
class Setup:
    """One organization with every kind of caller, a project, a release of it and an issue in it."""

    base_url: str
    world: World
    tokens: dict[str, str | None]
    version: str
    group_id: int
    short_id: str
    project_id: int
    event_id: str = ""

    def headers(self, caller: str) -> dict[str, str]:
        if caller == "none":
            return {}
        if caller == "malformed":
            return {"Authorization": "Bearer"}
        return {"Authorization": f"Bearer {self.tokens[caller]}"}

    def new_release(self) -> str:
        version = unique("rel")
        response = requests.post(
            f"{self.base_url}/api/0/organizations/{self.world.org}/releases/",
            json={"version": version, "projects": [self.world.project]},
            headers=self.world.headers(),
        )
        assert response.status_code == 201, response.text
        return version

    def new_group(self) -> int:
        org = find_organization(self.world.org)
        assert org is not None
        project = Project.get(*Project.key(org.id, self.world.project))
        return create_group(project, unique("Error"), culprit="app").id

    def rule(self, fresh: bool = False) -> dict[str, Any]:
        """``rule_id``: the project's first rule (made when there is none), or a new rule."""
        url = f"{self.base_url}/api/0/projects/{self.world.org}/{self.world.project}/rules/"
        found = [] if fresh else requests.get(url, headers=self.world.headers()).json()
        if found:
            return {"rule_id": found[0]["id"]}
        response = requests.post(url, json=RULE, headers=self.world.headers())
        assert response.status_code == 201, response.text
        return {"rule_id": response.json()["id"]}

    def new_project(self) -> str:
        response = requests.post(
            f"{self.base_url}/api/0/teams/{self.world.org}/{self.world.team}/projects/",
            json={"name": unique("p")},
            headers=self.world.headers(),
        )
        assert response.status_code == 201, response.text
        return response.json()["slug"]


def make_setup(base_url: str) -> Setup:
    world = make_world()
    org = find_organization(world.org)
    assert org is not None
    team = Team.get(*Team.key(org.id, world.team))
    tokens: dict[str, str | None] = {
        "unknown": "sntryu_" + secrets.token_hex(32),
        "other_org": make_world().token,
        "no_scope": make_user_token_for(world, "owner", {"alerts:read"}, team=None),
        "org_token": create_org_token(org.id, org.slug),
        "member_no_access": make_user_token_for(world, "member", None, team=None),
        "member_access": make_user_token_for(world, "member", None, team=team),
        "admin": make_user_token_for(world, "admin", None, team=team),
        "owner": world.token,
    }
    setup = Setup(base_url, world, tokens, "", 0, "", 0)
    setup.version = setup.new_release()
    project = Project.get(*Project.key(org.id, world.project))
    setup.project_id = project.id
    group_id = setup.new_group()
    from shared.issues.groups import get_group

    group = get_group(group_id)
    assert group is not None
    setup.group_id, setup.short_id = group_id, format_short_id(world.project, group.short_id)
    # The issue has one kept event, so the event readers get 200 where the caller may see it.
    kept = {"event_id": secrets.token_hex(16), "message": "matrix", "platform": "python"}
    counted = Counted(
        "m",
        org.id,
        setup.project_id,
        "matrix-hash",
        group_id,
        normalize_event(kept, datetime.now(UTC)),
        datetime.now(UTC),
    )
    keep_counted([counted])
    setup.event_id = kept["event_id"]
    # its tags and its environment, as the processor records them for a batch
    tagged = normalize_event({**kept, "environment": "production"}, datetime.now(UTC))
    record_named(ProjectRef(setup.project_id, org.id), [tagged])
    record_tags(group_id, [tagged])
    return setup


def make_user_token_for(world: World, role: str, scopes: set[str] | None, team: Team | None) -> str:
    """A new user with ``role`` in the world's organization (joined to ``team``) and a token."""
    org = find_organization(world.org)
    assert org is not None
    user_id, token = make_user(scopes)
    member = add_member(org, user_id, role)
    if team is not None:
        join_team(member, team.id)
    return token


@dataclass(frozen=True)
class Row:
    """A route, the statuses of the ten callers, and how to build one call of it."""

    method: str
    path: str
    statuses: str  # ten status codes, in CALLERS order
    params: Callable[[Setup], dict[str, Any]] = field(default=lambda s: {})
    body: Callable[[Setup], Any] | None = None
    query: str = ""

    @property
    def expected(self) -> dict[str, int]:
        codes = [int(code) for code in self.statuses.split()]
        assert len(codes) == len(CALLERS), self
        return dict(zip(CALLERS, codes, strict=True))


def _version(s: Setup) -> dict[str, Any]:
    return {"version": s.version}


def _fresh_release(s: Setup) -> dict[str, Any]:
    return {"version": s.new_release()}


def _issue(s: Setup) -> dict[str, Any]:
    return {"issue_id": s.group_id}


def _event(s: Setup) -> dict[str, Any]:
    return {"issue_id": s.group_id, "event_id": s.event_id}


def _fresh_issue(s: Setup) -> dict[str, Any]:
    return {"issue_id": s.new_group()}


ANON = "401 401 401"
RULE_PATH = "/api/0/projects/{org}/{project}/rules/{rule_id}"
PLUGIN_PATH = "/api/0/projects/{org}/{project}/plugins/{plugin}"
RULE = {
    "name": "matrix",
    "actionMatch": "all",
    "conditions": [{"id": "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"}],
    "actions": [
        {"id": "sentry.rules.actions.notify_event_service.NotifyEventServiceAction", "service": "webhooks"}
    ],
}
HOOKS = {"urls": "https://example.com/hook"}


def _webhooks(s: Setup) -> dict[str, Any]:
    return {"plugin": "webhooks"}


PUBLIC = "200 200 200 200 200 200 200 200 200 200"
INGEST = "401 401 401 401 401 401 401 401 401 401"

ROWS = [
    # public: the web pages and the API's own description
    Row("GET", "/", PUBLIC),
    Row("GET", "/assets/{asset}", PUBLIC, params=lambda s: {"asset": "app.js"}),
    Row("GET", "/api/0/openapi.json", PUBLIC),
    Row("GET", "/api/0/docs", PUBLIC),
    # who am I: anonymous is allowed (Sentry's {"user": null}), a bad token is not
    Row("GET", "/api/0", "200 401 401 200 200 200 200 200 200 200"),
    # ingestion authenticates with the DSN's public key, never with an API token
    Row(
        "POST",
        "/api/{project_id}/envelope",
        INGEST,
        params=lambda s: {"project_id": s.project_id},
        body=lambda s: '{}\n{"type":"event"}\n{}\n',
    ),
    Row(
        "POST",
        "/api/{project_id}/store",
        INGEST,
        params=lambda s: {"project_id": s.project_id},
        body=lambda s: {},
    ),
    # organization: projects, teams, repositories
    Row("GET", "/api/0/organizations/{org}/projects", f"{ANON} 404 403 403 200 200 200 200"),
    Row("GET", "/api/0/organizations/{org}/teams", f"{ANON} 404 403 403 200 200 200 200"),
    Row(
        "POST",
        "/api/0/organizations/{org}/teams",
        f"{ANON} 404 403 403 403 403 201 201",
        body=lambda s: {"slug": unique("t")},
    ),
    Row("GET", "/api/0/organizations/{org}/repos", f"{ANON} 404 403 200 200 200 200 200"),
    Row(
        "POST",
        "/api/0/organizations/{org}/repos",
        f"{ANON} 404 403 403 403 403 201 201",
        body=lambda s: {"name": unique("acme/repo")},
    ),
    # projects
    Row(
        "POST",
        "/api/0/teams/{org}/{team}/projects",
        f"{ANON} 404 403 403 403 403 201 201",
        body=lambda s: {"name": unique("p")},
    ),
    Row("GET", "/api/0/projects/{org}/{project}", f"{ANON} 404 403 403 404 200 200 200"),
    Row("PUT", "/api/0/projects/{org}/{project}", f"{ANON} 404 403 403 403 403 200 200", body=lambda s: {}),
    Row(
        "DELETE",
        "/api/0/projects/{org}/{project}",
        f"{ANON} 404 403 403 403 403 204 204",
        params=lambda s: {"project": s.new_project()},
    ),
    Row("GET", "/api/0/projects/{org}/{project}/keys", f"{ANON} 404 403 403 404 200 200 200"),
    Row("GET", "/api/0/projects/{org}/{project}/members", f"{ANON} 404 403 403 404 200 200 200"),
    # issue alert rules and the notification plugins
    Row("GET", "/api/0/projects/{org}/{project}/rules", f"{ANON} 404 403 403 404 200 200 200"),
    Row(
        "POST",
        "/api/0/projects/{org}/{project}/rules",
        f"{ANON} 404 403 403 403 403 201 201",
        body=lambda s: RULE,
    ),
    Row("GET", RULE_PATH, f"{ANON} 404 403 403 404 200 200 200", params=lambda s: s.rule()),
    Row(
        "PUT",
        RULE_PATH,
        f"{ANON} 404 403 403 403 403 200 200",
        params=lambda s: s.rule(),
        body=lambda s: RULE,
    ),
    Row("DELETE", RULE_PATH, f"{ANON} 404 403 403 403 403 202 202", params=lambda s: s.rule(fresh=True)),
    Row(
        "GET", f"{RULE_PATH}/group-history", f"{ANON} 404 403 403 404 200 200 200", params=lambda s: s.rule()
    ),
    Row("GET", PLUGIN_PATH, f"{ANON} 404 403 403 404 200 200 200", params=_webhooks),
    Row("PUT", PLUGIN_PATH, f"{ANON} 404 403 403 403 403 200 200", params=_webhooks, body=lambda s: HOOKS),
    Row("POST", PLUGIN_PATH, f"{ANON} 404 403 403 403 403 201 201", params=_webhooks),
    Row("DELETE", PLUGIN_PATH, f"{ANON} 404 403 403 403 403 204 204", params=_webhooks),
    # a user's notification options: every user their own (an organization token has no user: 404)
    Row(
        "GET",
        "/api/0/users/{user_id}/notification-settings",
        f"{ANON} 200 200 404 200 200 200 200",
        params=lambda s: {"user_id": "me"},
    ),
    Row(
        "PUT",
        "/api/0/users/{user_id}/notification-settings",
        f"{ANON} 201 201 404 201 201 201 201",
        params=lambda s: {"user_id": "me"},
        body=lambda s: {"type": "workflow", "scopeType": "user", "scopeIdentifier": "0", "value": "always"},
    ),
    # source maps: sentry-cli's chunk upload and artifact bundles; debug files are refused by name
    Row("GET", "/api/0/organizations/{org}/chunk-upload", f"{ANON} 404 403 200 200 200 200 200"),
    Row(
        "POST",
        "/api/0/organizations/{org}/chunk-upload",
        f"{ANON} 404 403 200 200 200 200 200",
        body=lambda s: "",
    ),
    Row(
        "POST",
        "/api/0/organizations/{org}/artifactbundle/assemble",
        f"{ANON} 404 403 200 400 200 200 200",
        body=lambda s: {"checksum": "0" * 40, "chunks": ["0" * 40], "projects": [s.world.project]},
    ),
    Row(
        "GET", "/api/0/projects/{org}/{project}/files/artifact-bundles", f"{ANON} 404 403 200 404 200 200 200"
    ),
    Row(
        "POST",
        "/api/0/projects/{org}/{project}/files/difs/assemble",
        f"{ANON} 404 403 400 400 400 400 400",
        body=lambda s: {},
    ),
    Row(
        "POST",
        "/api/0/projects/{org}/{project}/files/dsyms",
        f"{ANON} 404 403 400 400 400 400 400",
        body=lambda s: "",
    ),
    # environments from events
    Row("GET", "/api/0/projects/{org}/{project}/environments", f"{ANON} 404 403 403 404 200 200 200"),
    Row(
        "GET",
        "/api/0/projects/{org}/{project}/environments/{environment}",
        f"{ANON} 404 403 403 404 200 200 200",
        params=lambda s: {"environment": "production"},
    ),
    Row(
        "PUT",
        "/api/0/projects/{org}/{project}/environments/{environment}",
        f"{ANON} 404 403 403 403 403 200 200",
        params=lambda s: {"environment": "production"},
        body=lambda s: {"isHidden": False},
    ),
    Row("GET", "/api/0/organizations/{org}/environments", f"{ANON} 404 403 403 200 200 200 200"),
    # releases
    Row(
        "POST",
        "/api/0/organizations/{org}/releases",
        f"{ANON} 404 403 201 400 201 201 201",
        body=lambda s: {"version": unique("new"), "projects": [s.world.project]},
    ),
    Row("GET", "/api/0/organizations/{org}/releases", f"{ANON} 404 403 200 200 200 200 200"),
    Row("GET", "/api/0/projects/{org}/{project}/releases", f"{ANON} 404 403 200 404 200 200 200"),
    Row(
        "GET",
        "/api/0/organizations/{org}/releases/{version}",
        f"{ANON} 404 403 200 404 200 200 200",
        params=_version,
    ),
    Row(
        "PUT",
        "/api/0/organizations/{org}/releases/{version}",
        f"{ANON} 404 403 200 404 200 200 200",
        params=_version,
        body=lambda s: {"ref": "main"},
    ),
    Row(
        "DELETE",
        "/api/0/organizations/{org}/releases/{version}",
        f"{ANON} 404 403 403 404 204 204 204",
        params=_fresh_release,
    ),
    Row(
        "GET",
        "/api/0/organizations/{org}/releases/{version}/commits",
        f"{ANON} 404 403 200 404 200 200 200",
        params=_version,
    ),
    Row(
        "GET",
        "/api/0/organizations/{org}/releases/{version}/commitfiles",
        f"{ANON} 404 403 200 404 200 200 200",
        params=_version,
    ),
    Row(
        "GET",
        "/api/0/organizations/{org}/releases/{version}/previous-with-commits",
        f"{ANON} 404 403 200 404 200 200 200",
        params=_version,
    ),
    Row(
        "POST",
        "/api/0/organizations/{org}/releases/{version}/deploys",
        f"{ANON} 404 403 201 404 201 201 201",
        params=_version,
        body=lambda s: {"environment": "production"},
    ),
    Row(
        "GET",
        "/api/0/organizations/{org}/releases/{version}/deploys",
        f"{ANON} 404 403 200 404 200 200 200",
        params=_version,
    ),
    # issues: reads
    Row("GET", "/api/0/issues/{issue_id}", f"{ANON} 404 403 403 404 200 200 200", params=_issue),
    Row("GET", "/api/0/issues/{issue_id}/tags", f"{ANON} 404 403 403 404 200 200 200", params=_issue),
    Row(
        "GET",
        "/api/0/organizations/{org}/issues/{issue_id}/tags",
        f"{ANON} 404 403 403 404 200 200 200",
        params=_issue,
    ),
    Row(
        "GET",
        "/api/0/issues/{issue_id}/tags/{key}",
        f"{ANON} 404 403 403 404 200 200 200",
        params=lambda s: {"issue_id": s.group_id, "key": "environment"},
    ),
    Row(
        "GET",
        "/api/0/issues/{issue_id}/tags/{key}/values",
        f"{ANON} 404 403 403 404 200 200 200",
        params=lambda s: {"issue_id": s.group_id, "key": "environment"},
    ),
    Row(
        "GET",
        "/api/0/organizations/{org}/issues/{issue_id}",
        f"{ANON} 404 403 403 404 200 200 200",
        params=_issue,
    ),
    Row("GET", "/api/0/issues/{issue_id}/events", f"{ANON} 404 403 403 404 200 200 200", params=_issue),
    Row(
        "GET",
        "/api/0/organizations/{org}/issues/{issue_id}/events",
        f"{ANON} 404 403 403 404 200 200 200",
        params=_issue,
    ),
    Row(
        "GET",
        "/api/0/issues/{issue_id}/events/{event_id}",
        f"{ANON} 404 403 403 404 200 200 200",
        params=_event,
    ),
    Row(
        "GET",
        "/api/0/organizations/{org}/issues/{issue_id}/events/{event_id}",
        f"{ANON} 404 403 403 404 200 200 200",
        params=_event,
    ),
    Row("GET", "/api/0/projects/{org}/{project}/events", f"{ANON} 404 403 403 404 200 200 200"),
    Row(
        "GET",
        "/api/0/projects/{org}/{project}/events/{event_id}",
        f"{ANON} 404 403 403 404 200 200 200",
        params=_event,
    ),
    Row(
        "GET",
        "/api/0/organizations/{org}/eventids/{event_id}",
        f"{ANON} 404 403 403 404 200 200 200",
        params=_event,
    ),
    Row("GET", "/api/0/issues/{issue_id}/hashes", f"{ANON} 404 403 403 404 200 200 200", params=_issue),
    Row(
        "GET",
        "/api/0/organizations/{org}/issues/{issue_id}/hashes",
        f"{ANON} 404 403 403 404 200 200 200",
        params=_issue,
    ),
    # attachments: the issue's (none yet: an empty list), and an event's (no such event: 404 where
    # the project is visible, so the event's own check is what answers)
    Row("GET", "/api/0/issues/{issue_id}/attachments", f"{ANON} 404 403 403 404 200 200 200", params=_issue),
    Row(
        "GET",
        "/api/0/organizations/{org}/issues/{issue_id}/attachments",
        f"{ANON} 404 403 403 404 200 200 200",
        params=_issue,
    ),
    Row(
        "GET",
        "/api/0/projects/{org}/{project}/events/{event_id}/attachments",
        f"{ANON} 404 403 403 404 404 404 404",
        params=lambda s: {"event_id": "0" * 32},
    ),
    Row(
        "GET",
        "/api/0/projects/{org}/{project}/events/{event_id}/attachments/{attachment_id}",
        f"{ANON} 404 403 403 404 404 404 404",
        params=lambda s: {"event_id": "0" * 32, "attachment_id": "1"},
    ),
    Row(
        "GET",
        "/api/0/organizations/{org}/shortids/{short_id}",
        f"{ANON} 404 403 403 404 200 200 200",
        params=lambda s: {"short_id": s.short_id},
    ),
    Row(
        "GET",
        "/api/0/organizations/{org}/issues",
        f"{ANON} 404 403 403 403 200 200 200",
        query="project={project_id}",
        params=lambda s: {"project_id": s.project_id},
    ),
    Row("GET", "/api/0/projects/{org}/{project}/issues", f"{ANON} 404 403 403 404 200 200 200"),
    # issues: updates and deletions
    Row(
        "PUT",
        "/api/0/issues/{issue_id}",
        f"{ANON} 404 403 403 404 200 200 200",
        params=_issue,
        body=lambda s: {"isBookmarked": True},
    ),
    Row(
        "PUT",
        "/api/0/organizations/{org}/issues/{issue_id}",
        f"{ANON} 404 403 403 404 200 200 200",
        params=_issue,
        body=lambda s: {"isBookmarked": True},
    ),
    Row(
        "PUT",
        "/api/0/organizations/{org}/issues",
        f"{ANON} 404 403 403 403 200 200 200",
        body=lambda s: {"isBookmarked": True},
        query="id={issue_id}&project={project_id}",
        params=lambda s: {"issue_id": s.group_id, "project_id": s.project_id},
    ),
    Row(
        "PUT",
        "/api/0/projects/{org}/{project}/issues",
        f"{ANON} 404 403 403 404 200 200 200",
        body=lambda s: {"isBookmarked": True},
        query="id={issue_id}",
        params=_issue,
    ),
    Row(
        "POST",
        "/api/0/issues/{issue_id}/comments",
        f"{ANON} 404 403 403 404 201 201 201",
        params=_issue,
        body=lambda s: {"text": unique("note")},
    ),
    Row("DELETE", "/api/0/issues/{issue_id}", f"{ANON} 404 403 403 404 202 202 202", params=_fresh_issue),
    Row(
        "DELETE",
        "/api/0/organizations/{org}/issues/{issue_id}",
        f"{ANON} 404 403 403 404 202 202 202",
        params=_fresh_issue,
    ),
    Row(
        "DELETE",
        "/api/0/organizations/{org}/issues",
        f"{ANON} 404 403 403 403 204 204 204",
        query="id={issue_id}&project={project_id}",
        params=lambda s: {"issue_id": s.new_group(), "project_id": s.project_id},
    ),
    Row(
        "DELETE",
        "/api/0/projects/{org}/{project}/issues",
        f"{ANON} 404 403 403 404 204 204 204",
        query="id={issue_id}",
        params=_fresh_issue,
    ),
]


def test_every_template_route_has_a_row() -> None:
    # A `<path>/{proxy+}` twin only carries the trailing slash to its route's function.
    declared = {(route.method, route.path) for route in routes() if not route.path.endswith("/{proxy+}")}
    tabled = [(row.method, row.path) for row in ROWS]
    assert len(tabled) == len(set(tabled)), "a route has two rows"
    assert declared == set(tabled)
    # what docs/decisions.md says the table holds
    decisions = (Path(__file__).resolve().parents[2] / "docs" / "decisions.md").read_text(encoding="utf-8")
    [described] = re.findall(r"lists every template\s+route \((\d+) rows\)", decisions)
    assert int(described) == len(ROWS)


@cache
def _slash_twins() -> frozenset[tuple[str, str]]:
    return frozenset(
        (route.method, route.path.removesuffix("/{proxy+}"))
        for route in routes()
        if route.path.endswith("/{proxy+}")
    )


def forms(row: Row) -> tuple[str, ...]:
    """The URL forms of a row's route: with the trailing slash and without, where the template
    routes both; the bare path alone for the pages, the assets and the API's description."""
    return ("/", "") if (row.method, row.path) in _slash_twins() else ("",)


@pytest.fixture(scope="module")
def setup(base_url: str) -> Setup:
    return make_setup(base_url)


def _params(setup: Setup, row: Row) -> dict[str, Any]:
    params = {"org": setup.world.org, "team": setup.world.team, "project": setup.world.project}
    params.update(row.params(setup))
    return params


def _call(setup: Setup, row: Row, caller: str, params: dict[str, Any], slash: str) -> requests.Response:
    url = setup.base_url + row.path.format(**params) + slash
    query = row.query.format(**params)
    if query:
        url = f"{url}?{query}"
    body = None if row.body is None else row.body(setup)
    kwargs: dict[str, Any] = {"headers": setup.headers(caller), "timeout": 30}
    if isinstance(body, str):
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    return requests.request(row.method, url, **kwargs)


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method} {r.path}" for r in ROWS])
def test_permission_matrix(setup: Setup, row: Row) -> None:
    """The callers a row refuses go first, between two readings of every table and queue; then the
    others. Each caller calls every URL form of the route, with its own resources."""
    calls = [(caller, slash) for caller in CALLERS for slash in forms(row)]
    refused = [(caller, slash) for caller, slash in calls if row.expected[caller] >= 400]
    allowed = [(caller, slash) for caller, slash in calls if row.expected[caller] < 400]
    got: dict[tuple[str, str], tuple[int, str]] = {}
    params = {call: _params(setup, row) for call in calls}
    events_processed()  # nothing of earlier work is still in flight
    before, queued_before = stored_items.dump(), stored_items.queued()
    for caller, slash in refused:
        response = _call(setup, row, caller, params[caller, slash], slash)
        got[caller, slash] = (response.status_code, response.text[:300])
    assert stored_items.changes(before, stored_items.dump()) == {}, got
    assert stored_items.queued() == queued_before, got
    for caller, slash in allowed:
        response = _call(setup, row, caller, params[caller, slash], slash)
        got[caller, slash] = (response.status_code, response.text[:300])
    wrong = {call: got[call] for call in calls if got[call][0] != row.expected[call[0]]}
    assert not wrong, wrong
    for call in refused:
        status, text = got[call]
        assert set(json.loads(text)) == {"detail"} or status == 400, (call, text)


def test_the_queue_readings_see_what_a_call_queues(setup: Setup) -> None:
    """The readings the refusals are checked with can fail: an accepted issue deletion is queued."""
    before = stored_items.queued()
    row = next(r for r in ROWS if (r.method, r.path) == ("DELETE", "/api/0/issues/{issue_id}"))
    response = _call(setup, row, "owner", _params(setup, row), "/")
    assert response.status_code == 202, response.text
    after = stored_items.queued()
    assert {queue for queue in after if after[queue] > before[queue]} == {"DeletionQueue"}
