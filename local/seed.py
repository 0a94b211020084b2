"""Demo data for a fresh local system: organization ``demo``, its owner, a team, a project, a token."""

from __future__ import annotations

from dataclasses import dataclass

from shared.accounts.organizations import add_member, create_organization
from shared.accounts.teams import create_team
from shared.accounts.users import create_user
from shared.auth.access import Principal, organization_access
from shared.auth.scopes import ROLE_SCOPES
from shared.auth.tokens import create_user_token
from shared.projects.features import DISCARD_GROUPS, set_project_features
from shared.projects.keys import dsn, list_project_keys
from shared.projects.service import create_project

DEMO_ORG = "demo"
DEMO_TEAM = "demo"
DEMO_PROJECT = "web"


@dataclass(frozen=True)
class Demo:
    org: str
    team: str
    project: str
    user_email: str
    token: str
    dsn: str = ""  # the project's DSN, for sentry-sdk


def seed_demo() -> Demo:
    user = create_user("demo", "demo@example.com", "Demo Owner")
    org = create_organization("Demo", DEMO_ORG)
    add_member(org, user.id, "owner")
    access = organization_access(Principal.acting_user(user.id), DEMO_ORG)
    team = create_team(access, "Demo", DEMO_TEAM)
    access = organization_access(Principal.acting_user(user.id), DEMO_ORG)
    project = create_project(access, team.slug, "Web", DEMO_PROJECT, default_rules=True)
    set_project_features(project, {DISCARD_GROUPS})  # so "delete and discard" works in the demo
    token = create_user_token(user.id, set(ROLE_SCOPES["owner"]), name="demo")
    return Demo(org.slug, team.slug, project.slug, user.email, token, dsn(list_project_keys(project)[0]))
