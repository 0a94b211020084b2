"""Event ingestion as Sentry SDKs speak it: ``POST /api/{project_id}/envelope/`` and the legacy
``POST /api/{project_id}/store/``, authenticated by the project's DSN key, not by a token."""

from __future__ import annotations

import base64
from typing import Any

from shared.errors import NotFound
from shared.http.handler import lambda_handler
from shared.http.request import query_params
from shared.http.resolver import APIGatewayHttpResolver
from shared.ingest.service import ingest_envelope, ingest_store

app = APIGatewayHttpResolver(enable_validation=True)


def _project_id(text: str) -> int:
    if not text.isdigit():
        raise NotFound()
    return int(text)


def _raw_body() -> bytes:
    """The body as sent: API Gateway base64-encodes binary (compressed) bodies."""
    event = app.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")


def _request() -> tuple[dict[str, str], dict[str, str]]:
    query = {name: values[-1] for name, values in query_params(app).items()}
    return dict(app.current_event.headers or {}), query


@app.post("/api/<project_id>/envelope")
def post_envelope(project_id: str) -> Any:
    headers, query = _request()
    return ingest_envelope(_project_id(project_id), headers, query, _raw_body())


@app.post("/api/<project_id>/store")
def post_store(project_id: str) -> Any:
    headers, query = _request()
    return ingest_store(_project_id(project_id), headers, query, _raw_body())


handler = lambda_handler(app, busy_status=429)  # SDKs back off on 429 + Retry-After
