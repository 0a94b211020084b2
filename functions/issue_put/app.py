"""``PUT /api/0/issues/{id}/`` and the bulk issue updates."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from shared.auth.scopes import EVENT_WRITE
from shared.errors import NotFound
from shared.http.handler import lambda_handler
from shared.http.request import org_access, principal

app = APIGatewayRestResolver(enable_validation=True)


@app.put("/api/0/issues/<issue_id>")
def put_issue(issue_id: str) -> Any:
    """No issue can exist yet: every authenticated update is for a missing issue, 404."""
    principal(app)
    raise NotFound()


@app.put("/api/0/organizations/<org>/issues")
def put_org_issues(org: str) -> Any:
    org_access(app, org).require(EVENT_WRITE)
    raise NotFound()


@app.put("/api/0/projects/<org>/<project>/issues")
def put_project_issues(org: str, project: str) -> Any:
    org_access(app, org).require(EVENT_WRITE)
    raise NotFound()


handler = lambda_handler(app)
