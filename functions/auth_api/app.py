"""``GET /api/0/``: who am I, as sentry-cli's ``info`` asks."""

from __future__ import annotations

from typing import Any

from shared.errors import NotAuthenticated
from shared.http.handler import lambda_handler
from shared.http.request import principal
from shared.http.resolver import APIGatewayHttpResolver
from shared.serializers.accounts import serialize_user

app = APIGatewayHttpResolver(enable_validation=True)


@app.get("/api/0")
def whoami() -> Any:
    """Anonymous callers get Sentry's ``{"user": null, "auth": null}``; a bad token gets 401."""
    try:
        caller = principal(app)
    except NotAuthenticated:
        return {"user": None, "auth": None}
    user = caller.user
    return {
        "user": serialize_user(user) if user else None,
        "auth": {"scopes": sorted(caller.scopes)},
    }


handler = lambda_handler(app)
