"""The web pages for people: ``GET /`` (the page) and ``GET /assets/{asset}`` (its scripts and styles).

The pages are static files (HTML, CSS and JavaScript modules, no build step) that call this API from
the browser with the token the person signed in with. Only files that ship in ``static/`` are served,
by exact name, so a request can never reach anything else on the function's disk.

A plain handler, not a powertools resolver: it reads nothing but the event it is given, so a browser
fetching the page's files at once is served correctly however the requests interleave. These routes
are not part of the API and not in its OpenAPI document."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

STATIC = Path(__file__).resolve().parent / "static"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
# The page talks to its own origin only; no inline script, nothing framed, no referrer (the token
# lives in the URL fragment and session storage, never in a URL the browser sends anywhere).
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # Revalidated on every load: a deploy changes the files under the same names (nothing hashes them).
    "Cache-Control": "no-cache",
}
_NOT_FOUND = {
    "statusCode": 404,
    "headers": {"Content-Type": "application/json"},
    "body": json.dumps({"detail": "The requested resource does not exist"}),
    "isBase64Encoded": False,
}

logger = Logger()


@cache
def _assets() -> dict[str, tuple[str, str]]:
    """Asset name → (content type, text), read once per environment (Lambda keeps it warm)."""
    return {
        path.name: (_TYPES[path.suffix], path.read_text(encoding="utf-8"))
        for path in STATIC.iterdir()
        if path.suffix in _TYPES
    }


def _asset_name(event: dict[str, Any]) -> str | None:
    """``index.html`` for ``/``, the named file for ``/assets/{asset}``, None for anything else.

    The HTTP API's payload 2.0 names the matched route in ``routeKey`` (method and path template)."""
    route = event.get("routeKey")
    if route == "GET /":
        return "index.html"
    if route == "GET /assets/{asset}":
        return (event.get("pathParameters") or {}).get("asset")
    return None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    found = _assets().get(_asset_name(event) or "")
    if found is None:
        return _NOT_FOUND
    content_type, body = found
    return {
        "statusCode": 200,
        "headers": {**_SECURITY_HEADERS, "Content-Type": content_type},
        "body": body,
        "isBase64Encoded": False,
    }
