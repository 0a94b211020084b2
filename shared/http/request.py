"""What handlers read from the current request: its caller, the organization it names, and its
query-string parameters."""

from __future__ import annotations

from urllib.parse import parse_qs

from shared.auth.access import OrgAccess, Principal, authenticate, organization_access
from shared.http.resolver import APIGatewayHttpResolver


def principal(app: APIGatewayHttpResolver) -> Principal:
    """Authenticate the request's ``Authorization`` header (401 when missing or unknown)."""
    headers = app.current_event.headers or {}
    authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    return authenticate(authorization)


def query_params(app: APIGatewayHttpResolver) -> dict[str, list[str]]:
    """Every query-string parameter with all its values, in order. Read from ``rawQueryString``:
    payload 2.0 joins repeated values with commas in ``queryStringParameters``, which cannot tell
    ``?id=1&id=2`` from ``?id=1,2``."""
    return parse_qs(app.current_event.raw_query_string or "", keep_blank_values=True)


def query_value(app: APIGatewayHttpResolver, name: str) -> str | None:
    """One query-string parameter (the last one when repeated)."""
    values = query_params(app).get(name)
    return values[-1] if values else None


def query_values(app: APIGatewayHttpResolver, name: str) -> list[str]:
    """Every value of a repeatable query-string parameter (``?id=1&id=2``)."""
    return query_params(app).get(name) or []


def org_access(app: APIGatewayHttpResolver, org: str) -> OrgAccess:
    """The caller's access to organization ``org`` (slug or id): 401, then 404 when not theirs."""
    return organization_access(principal(app), org)
