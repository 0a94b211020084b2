"""The caller of the current request and the organization it names, resolved once per request."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from shared.auth.access import OrgAccess, Principal, authenticate, organization_access


def principal(app: APIGatewayRestResolver) -> Principal:
    """Authenticate the request's ``Authorization`` header (401 when missing or unknown)."""
    headers = app.current_event.headers or {}
    authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    return authenticate(authorization)


def org_access(app: APIGatewayRestResolver, org: str) -> OrgAccess:
    """The caller's access to organization ``org`` (slug or id): 401, then 404 when not theirs."""
    return organization_access(principal(app), org)
