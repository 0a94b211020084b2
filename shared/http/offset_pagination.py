"""Offset cursors (Sentry's ``0:<offset>:<is_prev>``) for lists that are filtered and joined in code
(releases visible through any of several projects), where DynamoDB's own position cannot be the
cursor. Pages are sliced from a lazy iterator with one item of look-ahead."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import Response

from shared.errors import BadRequest
from shared.http.pagination import paginated_response, requested_page
from shared.http.resolver import APIGatewayHttpResolver
from shared.storage.paging import INVALID_CURSOR, Page

T = TypeVar("T")


def parse_offset(cursor: str | None) -> int:
    """``""``/absent → 0; ``value:offset:is_prev`` → offset; anything else → 400."""
    if not cursor:
        return 0
    parts = cursor.split(":")
    if len(parts) != 3 or not all(p.isdecimal() for p in parts):
        raise BadRequest(INVALID_CURSOR)
    return int(parts[1])


def requested_end(app: APIGatewayHttpResolver) -> int:
    """How far into the list the requested page reaches: its offset, its size and the look-ahead item."""
    cursor, per_page = requested_page(app)
    return parse_offset(cursor) + per_page + 1


def paginate_offset(
    app: APIGatewayHttpResolver, items: Iterator[T], serialize_page: Callable[[list[T]], list[Any]]
) -> Response:
    """Serve the page of ``items`` the request's ``cursor``/``per_page`` ask for, with Sentry's Link.

    ``serialize_page`` gets the whole page, so serializers can read related rows in one batch."""
    cursor, per_page = requested_page(app)
    offset = parse_offset(cursor)
    window = list(islice(items, offset, offset + per_page + 1))
    page = Page(
        window[:per_page],
        next_cursor=f"0:{offset + per_page}:0" if len(window) > per_page else None,
        prev_cursor=f"0:{max(offset - per_page, 0)}:1" if offset > 0 else None,
    )
    return paginated_response(app, page, serialize_page(page.items))
