"""``PUT /api/0/organizations/{org}/releases/{version}/``: the release update flow."""

from __future__ import annotations

from typing import Any

from shared.http.handler import lambda_handler
from shared.http.models.releases import ReleaseUpdate
from shared.http.request import org_access
from shared.http.resolver import APIGatewayHttpResolver
from shared.releases.service import update_release
from shared.serializers.releases import serialize_release

app = APIGatewayHttpResolver(enable_validation=True)


@app.put("/api/0/organizations/<org>/releases/<version>")
def put_release(org: str, version: str, body: ReleaseUpdate) -> Any:
    access = org_access(app, org)
    return serialize_release(update_release(access, version, body.to_changes()))


handler = lambda_handler(app)
