"""What handlers read from the current request: its caller, the organization it names, and its
query-string parameters."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from shared.auth.access import OrgAccess, Principal, authenticate, organization_access


def principal(app: APIGatewayRestResolver) -> Principal:
    """Authenticate the request's ``Authorization`` header (401 when missing or unknown)."""
    headers = app.current_event.headers or {}
    authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    return authenticate(authorization)


def query_value(app: APIGatewayRestResolver, name: str) -> str | None:
    """One query-string parameter (the last one when repeated, as API Gateway gives it)."""
    return (app.current_event.query_string_parameters or {}).get(name)


def query_values(app: APIGatewayRestResolver, name: str) -> list[str]:
    """Every value of a repeatable query-string parameter (``?id=1&id=2``)."""
    return (app.current_event.multi_value_query_string_parameters or {}).get(name) or []


def org_access(app: APIGatewayRestResolver, org: str) -> OrgAccess:
    """The caller's access to organization ``org`` (slug or id): 401, then 404 when not theirs."""
    return organization_access(principal(app), org)
