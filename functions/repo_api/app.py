"""An organization's repositories: list (what sentry-cli's ``set-commits`` resolves names against) and add."""

from __future__ import annotations

from typing import Any

from shared.http.errors import json_response
from shared.http.handler import lambda_handler
from shared.http.models.repositories import RepositoryCreate
from shared.http.pagination import paginated_response, requested_page
from shared.http.request import org_access
from shared.http.resolver import APIGatewayHttpResolver
from shared.releases.repositories import create_repository, list_repositories
from shared.serializers.repositories import serialize_repository

app = APIGatewayHttpResolver(enable_validation=True)


@app.get("/api/0/organizations/<org>/repos")
def get_repositories(org: str) -> Any:
    access = org_access(app, org)
    cursor, per_page = requested_page(app)
    page = list_repositories(access, cursor, per_page)
    return paginated_response(app, page, [serialize_repository(r) for r in page.items])


@app.post("/api/0/organizations/<org>/repos")
def post_repository(org: str, body: RepositoryCreate) -> Any:
    access = org_access(app, org)
    repository = create_repository(access, body.name, body.url, body.provider)
    return json_response(201, serialize_repository(repository))


handler = lambda_handler(app)
