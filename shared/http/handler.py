"""The Lambda entry point every API function uses: path decoding, structured logs, metrics, and the
security headers of every answer (``shared.http.security_headers``).

API Gateway and powertools leave path segments percent-encoded in ``rawPath`` (``app@1.0%2Bbuild``).
They are decoded here, once, before routing; ``/`` stays encoded inside a segment so it can never change
which route matches (and is then refused by the domain's own rules)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.config import settings
from shared.errors import NotFound, ValidationFailed
from shared.http.errors import EXPECTED_OBJECT, install_error_handlers
from shared.http.resolver import APIGatewayHttpResolver
from shared.http.security_headers import secure
from shared.metrics import metrics
from shared.public_url import remember_request

logger = Logger()
# Every log line of a request carries API Gateway's request id, the id its access log and client see.
REQUEST_ID_PATH = correlation_paths.API_GATEWAY_HTTP

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


_ENCODED_SLASH = re.compile("%2f", re.IGNORECASE)
# Nothing is named by a longer segment (versions ≤ 200 characters, slugs ≤ 50, ids shorter), and
# keys built from one stay within DynamoDB's key-size limits instead of failing as a 500.
MAX_SEGMENT_LENGTH = 200


def decode_segment(segment: str) -> str:
    """Percent-decode one path segment (``+`` stays a plus), keeping an encoded ``/`` encoded."""
    return "%2F".join(unquote(part) for part in _ENCODED_SLASH.split(segment))


def decode_path(path: str) -> str:
    return "/".join(decode_segment(segment) for segment in path.split("/"))


def _refuse_overlong_segments(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """404 for a path segment longer than anything this API names."""
    if any(len(segment) > MAX_SEGMENT_LENGTH for segment in app.current_event.path.split("/")):
        raise NotFound()
    return next_middleware(app)


def _refuse_bodies_that_are_not_objects(
    app: APIGatewayHttpResolver, next_middleware: NextMiddleware
) -> Response:
    """400 for a JSON array where the route reads an object, as Django REST framework answers.

    powertools validates the first element of a non-empty array instead (its rule for repeated query
    values), so ``[{"status": "resolved"}]`` or ``[null]`` would pass as an update. Runs after the
    validation, which already refuses other bodies that are not objects (``EXPECTED_OBJECT``)."""
    route = app.context.get("_route")
    reads_body = route is not None and route.dependant.body_params and app.current_event.body
    if reads_body and isinstance(app.current_event.json_body, list):  # validated, so it is JSON
        raise ValidationFailed({"non_field_errors": [EXPECTED_OBJECT.format(input_type="list")]})
    return next_middleware(app)


def lambda_handler(app: APIGatewayHttpResolver, busy_status: int = 503) -> Handler:
    """Wrap a resolver as a Lambda handler with Sentry-style errors, logging and metrics;
    ``busy_status`` answers storage faults that outlasted their retries."""
    install_error_handlers(app, busy_status)
    app.use(middlewares=[_refuse_overlong_segments, _refuse_bodies_that_are_not_objects])
    if settings().tracing_enabled:  # aws-xray-sdk costs ~0.5 s of cold start: only when asked for
        from aws_lambda_powertools import Tracer

        tracer = Tracer()
        resolve = tracer.capture_lambda_handler(app.resolve)
    else:
        resolve = app.resolve

    @logger.inject_lambda_context(correlation_id_path=REQUEST_ID_PATH, clear_state=True)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        remember_request(event)
        if event.get("rawPath"):
            event = {**event, "rawPath": decode_path(event["rawPath"])}
        return secure(resolve(event, context))

    return handler
