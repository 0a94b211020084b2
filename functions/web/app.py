"""The web pages for people: ``GET /`` (the page) and ``GET /assets/{asset}`` (its scripts and styles).

The pages are static files (HTML, CSS and JavaScript modules, no build step) that call this API from
the browser with the token the person signed in with. Only files that ship in ``static/`` are served,
by exact name, so a request can never reach anything else on the function's disk."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from shared.errors import NotFound
from shared.http.handler import lambda_handler

STATIC = Path(__file__).resolve().parent / "static"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# The page talks to its own origin only; no inline script, nothing framed, no referrer (the token
# lives in the URL fragment and session storage, never in a URL the browser sends anywhere).
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

app = APIGatewayRestResolver(enable_validation=True)


_ERROR = {"type": "object", "properties": {"detail": {"type": "string"}}}


def _text(description: str, *content_types: str) -> dict[int | str, Any]:
    """OpenAPI responses of a text asset: the text itself, or Sentry's 404."""
    content = {content_type: {"schema": {"type": "string"}} for content_type in content_types}
    return {
        200: {"description": description, "content": content},
        404: {"description": "No such asset", "content": {"application/json": {"schema": _ERROR}}},
    }


@cache
def _assets() -> dict[str, tuple[str, str]]:
    """Asset name → (content type, text), read once per environment (Lambda keeps it warm)."""
    return {
        path.name: (_TYPES[path.suffix], path.read_text(encoding="utf-8"))
        for path in STATIC.iterdir()
        if path.suffix in _TYPES
    }


def _serve(name: str, cache_control: str) -> Response:
    found = _assets().get(name)
    if found is None:
        raise NotFound()
    content_type, body = found
    return Response(200, content_type, body, headers={**_SECURITY_HEADERS, "Cache-Control": cache_control})


@app.get("/", summary="The web pages", responses=_text("The page", "text/html"))
def index() -> Any:
    return _serve("index.html", "no-cache")


@app.get(
    "/assets/<asset>",
    summary="A script or style sheet of the web pages",
    responses=_text("A JavaScript module or a style sheet", "text/javascript", "text/css"),
)
def asset(asset: str) -> Any:
    # Revalidated on every load: a deploy changes them under the same names (no build step to hash them).
    return _serve(asset, "no-cache")


handler = lambda_handler(app)
