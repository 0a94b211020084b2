"""Releases: create (idempotent upsert), list, read, delete, commits, changed files,
previous-with-commits, deploys."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from shared.auth.scopes import RELEASE_READ
from shared.http.errors import json_response
from shared.http.handler import lambda_handler
from shared.http.models.deploys import DeployCreate
from shared.http.models.releases import ReleaseCreate
from shared.http.offset_pagination import paginate_offset
from shared.http.request import org_access, query_params, query_value, query_values
from shared.http.resolver import APIGatewayHttpResolver
from shared.issues.lookup import parse_ids
from shared.projects.service import get_project
from shared.releases.commit_files import release_file_changes
from shared.releases.deploys import create_deploy, list_deploys
from shared.releases.details import release_details
from shared.releases.service import (
    ReleaseListing,
    create_release,
    delete_release,
    get_release,
    list_releases,
    previous_with_commits,
    release_commits,
)
from shared.serializers.releases import (
    serialize_commit_file,
    serialize_deploy,
    serialize_release,
    serialize_release_commit,
)

app = APIGatewayHttpResolver(enable_validation=True)


def _page(listing: ReleaseListing) -> Response:
    return paginate_offset(
        app, listing.releases, lambda releases: [serialize_release(v) for v in listing.views(releases)]
    )


@app.post("/api/0/organizations/<org>/releases")
def post_release(org: str, body: ReleaseCreate) -> Any:
    access = org_access(app, org)
    user_agent = app.current_event.headers.get("user-agent")
    view, created = create_release(access, body.version, body.to_changes(), user_agent)
    return json_response(201 if created else 208, serialize_release(view))


@app.get("/api/0/organizations/<org>/releases")
def list_org_releases(org: str) -> Any:
    access = org_access(app, org)
    return _page(list_releases(access, None, query_value(app, "status") or "open", query_value(app, "query")))


@app.get("/api/0/projects/<org>/<project>/releases")
def list_project_releases(org: str, project: str) -> Any:
    access = org_access(app, org)
    scope = get_project(access, project, RELEASE_READ)  # Sentry's project release permission: org:ci too
    return _page(list_releases(access, scope, query_value(app, "status"), query_value(app, "query")))


@app.get("/api/0/organizations/<org>/releases/<version>")
def get_release_details(org: str, version: str) -> Any:
    return serialize_release(release_details(org_access(app, org), version, query_params(app)))


@app.delete("/api/0/organizations/<org>/releases/<version>")
def delete_release_details(org: str, version: str) -> Any:
    delete_release(org_access(app, org), version)
    return Response(status_code=204, body="")


@app.get("/api/0/organizations/<org>/releases/<version>/commits")
def list_release_commits(org: str, version: str) -> Any:
    _, rows = release_commits(org_access(app, org), version)
    return [serialize_release_commit(row) for row in rows]


@app.get("/api/0/organizations/<org>/releases/<version>/commitfiles")
def list_release_commit_files(org: str, version: str) -> Any:
    _, rows = release_commits(org_access(app, org), version)
    changes = release_file_changes(rows)
    return paginate_offset(app, iter(changes), lambda page: [serialize_commit_file(c, r) for c, r in page])


@app.get("/api/0/organizations/<org>/releases/<version>/previous-with-commits")
def get_previous_with_commits(org: str, version: str) -> Any:
    access = org_access(app, org)
    previous = previous_with_commits(access, version)
    if previous is None:
        return {}
    return serialize_release(get_release(access, previous.version))


@app.post("/api/0/organizations/<org>/releases/<version>/deploys")
def post_deploy(org: str, version: str, body: DeployCreate) -> Any:
    deploy = create_deploy(org_access(app, org), version, body.to_input())
    return json_response(201, serialize_deploy(deploy))


@app.get("/api/0/organizations/<org>/releases/<version>/deploys")
def get_deploys(org: str, version: str) -> Any:
    access = org_access(app, org)
    deploys = list_deploys(access, version, parse_ids(query_values(app, "project"), "project"))
    return paginate_offset(app, iter(deploys), lambda page: [serialize_deploy(d) for d in page])


handler = lambda_handler(app)
