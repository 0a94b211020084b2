"""Teams and projects: create, read, update (feature flags, data scrubbing), delete and list."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from shared.accounts.teams import create_team, list_teams
from shared.errors import ValidationFailed
from shared.http.errors import json_response
from shared.http.handler import lambda_handler
from shared.http.models.project_update import ProjectUpdate
from shared.http.models.projects import ProjectCreate, TeamCreate
from shared.http.request import org_access
from shared.http.resolver import APIGatewayHttpResolver
from shared.projects.deletion import delete_project
from shared.projects.keys import list_project_keys
from shared.projects.members import project_members
from shared.projects.service import create_project, get_project, list_projects, update_project
from shared.serializers.accounts import serialize_member, serialize_team
from shared.serializers.project_keys import serialize_project_key
from shared.serializers.projects import serialize_project

app = APIGatewayHttpResolver(enable_validation=True)


@app.post("/api/0/teams/<org>/<team>/projects")
def post_project(org: str, team: str, body: ProjectCreate) -> Any:
    access = org_access(app, org)
    project = create_project(access, team, body.name, body.slug, body.platform, body.default_rules)
    return json_response(201, serialize_project(project, access, detailed=True))


@app.get("/api/0/projects/<org>/<project>")
def get_project_details(org: str, project: str) -> Any:
    access = org_access(app, org)
    return serialize_project(get_project(access, project), access, detailed=True)


@app.get("/api/0/projects/<org>/<project>/keys")
def get_project_keys(org: str, project: str) -> Any:
    access = org_access(app, org)
    return [serialize_project_key(k) for k in list_project_keys(get_project(access, project))]


@app.get("/api/0/projects/<org>/<project>/members")
def get_project_members(org: str, project: str) -> Any:
    """Who can be assigned the project's issues: the members of its teams."""
    access = org_access(app, org)
    return [serialize_member(p.member, p.user) for p in project_members(access, project)]


@app.put("/api/0/projects/<org>/<project>")
def put_project_details(org: str, project: str, body: ProjectUpdate) -> Any:
    access = org_access(app, org)
    updated = update_project(access, project, body.features, body.data_scrubbing())
    return serialize_project(updated, access, detailed=True)


@app.delete("/api/0/projects/<org>/<project>")
def delete_project_details(org: str, project: str) -> Any:
    delete_project(org_access(app, org), project)
    return Response(status_code=204, body="")


@app.get("/api/0/organizations/<org>/projects")
def get_org_projects(org: str) -> Any:
    access = org_access(app, org)
    return [serialize_project(p, access) for p in list_projects(access)]


@app.get("/api/0/organizations/<org>/teams")
def get_org_teams(org: str) -> Any:
    access = org_access(app, org)
    return [serialize_team(t, t.id in access.team_ids) for t in list_teams(access)]


@app.post("/api/0/organizations/<org>/teams")
def post_team(org: str, body: TeamCreate) -> Any:
    if not (body.name or body.slug):
        raise ValidationFailed({"name": ["This field is required."]})
    access = org_access(app, org)
    team = create_team(access, body.name, body.slug)
    return json_response(201, serialize_team(team, is_member=access.member is not None))


handler = lambda_handler(app)
