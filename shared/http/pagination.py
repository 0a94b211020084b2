"""Sentry's pagination on the wire: ``cursor`` and ``per_page`` in, a ``Link`` header out.

The pages themselves come from ``shared.storage.paging`` (DynamoDB positions) or
``shared.http.offset_pagination`` (offsets); this module only speaks HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from aws_lambda_powertools.event_handler import Response, content_types

from shared.errors import BadRequest
from shared.http.request import query_params, query_value
from shared.http.resolver import APIGatewayHttpResolver
from shared.public_url import public_url
from shared.storage.paging import Page

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 100


def parse_per_page(value: str | None, default: int = DEFAULT_PER_PAGE, maximum: int = MAX_PER_PAGE) -> int:
    """``per_page`` as Sentry reads it: absent → ``default``; not an integer or out of 1..maximum → 400."""
    if value is None:
        return default
    try:
        per_page = int(value)
    except ValueError:
        raise BadRequest("Invalid per_page parameter.") from None
    if not 1 <= per_page <= maximum:
        raise BadRequest(f"Invalid per_page value. Must be between 1 and {maximum}.")
    return per_page


def link_header(url: str, query_params: Mapping[str, str | Sequence[str]], page: Page[Any]) -> str:
    """Sentry's ``Link`` header: the previous link first, then the next one, each with ``results``
    saying whether following it yields anything. Other query parameters are kept, ``cursor`` replaced."""
    kept = {name: value for name, value in query_params.items() if name != "cursor"}
    base = f"{url}?{urlencode(kept, doseq=True)}"
    return ", ".join([_link(base, "previous", page.prev_cursor), _link(base, "next", page.next_cursor)])


def _link(base: str, rel: str, cursor: str | None) -> str:
    value = cursor or ""
    results = "true" if cursor else "false"
    return f'<{base}&cursor={value}>; rel="{rel}"; results="{results}"; cursor="{value}"'


def requested_page(app: APIGatewayHttpResolver) -> tuple[str | None, int]:
    """``cursor`` and ``per_page`` from the request's query string (400 for a bad ``per_page``)."""
    return query_value(app, "cursor"), parse_per_page(query_value(app, "per_page"))


def paginated_response(app: APIGatewayHttpResolver, page: Page[Any], body: list[Any]) -> Response:
    """200 with ``body`` (the page's items, serialized) and the ``Link`` header for the current request.

    Links are absolute on the deployment's public URL (Sentry's ``absolute_uri``), never on the
    request's ``Host`` header, which the client controls."""
    event = app.current_event
    url = public_url() + quote(event.path)
    link = link_header(url, query_params(app), page)
    return Response(200, content_types.APPLICATION_JSON, body, headers={"Link": link})
