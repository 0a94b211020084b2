"""One OpenAPI document for all functions (merged from their resolvers) and its Swagger UI."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from functions.openapi.responses import document_responses
from shared.http.handler import lambda_handler
from shared.http.resolver import APIGatewayHttpResolver

FUNCTIONS = Path(__file__).resolve().parent.parent
TITLE = "Watchtower API"

app = APIGatewayHttpResolver()
app.enable_swagger(path="/api/0/docs", title=TITLE)
_merge_configured = False


def _merge_on_first_request(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """Finding the functions' resolvers parses every handler file: the first request does it, not the
    cold start (both routes, the document and Swagger UI's page, serve the merged document)."""
    global _merge_configured
    if not _merge_configured:
        resolver.configure_openapi_merge(
            path=str(FUNCTIONS),
            pattern="app.py",
            recursive=True,
            exclude=["**/openapi/**", "**/__pycache__/**"],
            title=TITLE,
            version="0",
        )
        _merge_configured = True
    return next_middleware(resolver)


app.use(middlewares=[_merge_on_first_request])


@cache
def _document() -> str:
    """The merged document with each operation's real answers (built once per environment)."""
    return json.dumps(document_responses(json.loads(app.get_openapi_merge_json_schema())))


@app.get("/api/0/openapi.json", include_in_schema=False)
def openapi_document() -> Any:
    return Response(200, content_types.APPLICATION_JSON, _document())


handler = lambda_handler(app)
