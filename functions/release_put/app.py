"""``PUT /api/0/organizations/{org}/releases/{version}/``: the release update flow."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from shared.auth.scopes import RELEASE_WRITE
from shared.errors import NotFound
from shared.http.handler import lambda_handler
from shared.http.request import org_access

app = APIGatewayRestResolver(enable_validation=True)


@app.put("/api/0/organizations/<org>/releases/<version>")
def put_release(org: str, version: str) -> Any:
    """No release can exist yet, so every authorised update is for a missing release: 404."""
    access = org_access(app, org)
    access.require(RELEASE_WRITE)
    raise NotFound()


handler = lambda_handler(app)
