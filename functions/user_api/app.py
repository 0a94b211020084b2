"""A user's notification options (Sentry's ``/users/{user_id}/notification-options/``, served at
``…/notification-settings/``): what workflow and deploy email the user receives."""

from __future__ import annotations

from typing import Any

from shared.errors import NotFound, PermissionDenied
from shared.http.errors import json_response
from shared.http.handler import lambda_handler
from shared.http.models.notifications import NotificationOptionBody
from shared.http.request import principal, query_value
from shared.http.resolver import APIGatewayHttpResolver
from shared.notifications.settings import (
    check_type,
    list_options,
    save_option,
    serialize_option,
    validate_option,
)

app = APIGatewayHttpResolver(enable_validation=True)


def _user_id(user_id: str) -> int:
    """Sentry's UserEndpoint: ``me`` is the caller (404 without a user, as for an organization
    token); another user's id is refused (403), a malformed one is not found."""
    caller = principal(app)
    if caller.user_id is None:
        raise NotFound()
    if user_id == "me" or user_id == str(caller.user_id):
        return caller.user_id
    if not user_id.isdigit():
        raise NotFound()
    raise PermissionDenied()


@app.get("/api/0/users/<user_id>/notification-settings")
def get_options(user_id: str) -> Any:
    owner = _user_id(user_id)
    return [serialize_option(o) for o in list_options(owner, check_type(query_value(app, "type")))]


@app.put("/api/0/users/<user_id>/notification-settings")
def put_option(user_id: str, body: NotificationOptionBody) -> Any:
    owner = _user_id(user_id)
    type_, value = validate_option(app.current_event.json_body)
    return json_response(201, serialize_option(save_option(owner, type_, value)))


handler = lambda_handler(app)
