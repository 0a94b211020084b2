"""Error → response, in Sentry's shapes. Validation errors become 400 ``{"field": ["message"]}``
(powertools' default is 422 without messages); domain errors carry their own status and body."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from shared.errors import ApiError
from shared.http.resolver import APIGatewayHttpResolver
from shared.storage.dynamodb import RETRY_AFTER_SECONDS, is_fault

logger = Logger(child=True)
BUSY_DETAIL = "The service is busy. Please try again shortly."
NOT_JSON = "JSON parse error - the request body is not valid JSON."
MULTIPART_WITHOUT_BOUNDARY = "Multipart form parse error - Invalid boundary in multipart: None"

# A body that is JSON but not an object (``{input_type}``: Django REST framework's name of its type).
EXPECTED_OBJECT = "Invalid data. Expected a dictionary, but got {input_type}."
# pydantic error types → the wording Django REST framework (and so Sentry) uses.
_MESSAGES = {
    "missing": "This field is required.",
    "string_too_long": "Ensure this field has no more than {max_length} characters.",
    "string_too_short": "This field may not be blank.",
    "string_type": "Not a valid string.",
    "int_parsing": "A valid integer is required.",
    "int_type": "A valid integer is required.",
    "bool_parsing": "Must be a valid boolean.",
    "list_type": 'Expected a list of items but got type "{input_type}".',
    "datetime_parsing": "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
    "datetime_from_date_parsing": "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
    "none_required": "This field may not be null.",
    "model_attributes_type": EXPECTED_OBJECT,
}


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind in _MESSAGES:
        context = dict(error.get("ctx") or {})
        context["input_type"] = type(error.get("input")).__name__
        return _MESSAGES[kind].format(**context)
    message = str(error.get("msg", "Invalid value."))
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def field_errors(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Nest pydantic errors by field name, as DRF does: ``("body", "commits", 0, "id")`` becomes
    ``{"commits": {"id": [...]}}`` (list positions are dropped, as in Sentry's own answers)."""
    result: dict[str, Any] = {}
    for error in errors:
        loc = [part for part in error.get("loc", ()) if isinstance(part, str)]
        if loc and loc[0] in {"body", "query", "path", "header"}:
            loc = loc[1:]
        loc = loc or ["non_field_errors"]
        node = result
        for part in loc[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node.setdefault(loc[-1], [])
        if isinstance(node[loc[-1]], list):
            node[loc[-1]].append(_message(error))
    return result


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def install_error_handlers(app: APIGatewayHttpResolver, busy_status: int = 503) -> None:
    """Register the Sentry-shaped error responses on a resolver. DynamoDB faults that outlasted
    every retry answer ``busy_status`` with ``Retry-After`` (503 for the management API; ingestion
    uses 429, which SDKs honour by holding back events), never a 500."""

    @app.exception_handler(RequestValidationError)
    def _validation(error: RequestValidationError) -> Response:
        errors = list(error.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return json_response(400, {"detail": NOT_JSON})
        return json_response(400, field_errors(errors))

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_media_type(_: RequestUnsupportedContentType) -> Response:
        # Django REST framework's 415 (and so Sentry's) for a body it has no parser for
        content_type = (app.current_event.headers or {}).get("content-type", "")
        return json_response(415, {"detail": f'Unsupported media type "{content_type}" in request.'})

    @app.exception_handler(RecursionError)
    def _too_deep(_: RecursionError) -> Response:
        # json.loads gives up on a body nested deeper than Python's recursion limit
        return json_response(400, {"detail": NOT_JSON})

    @app.exception_handler(UnicodeDecodeError)
    def _not_utf8(_: UnicodeDecodeError) -> Response:
        # API Gateway hands a body with a Content-Encoding over base64-encoded; powertools decodes
        # it as UTF-8 before parsing JSON, so bytes that are not UTF-8 end up here
        return json_response(400, {"detail": NOT_JSON})

    @app.exception_handler(ValueError)
    def _value_error(error: ValueError) -> Response:
        # powertools raises a bare ValueError for a multipart body whose Content-Type has no boundary;
        # Django REST framework's MultiPartParser (and so Sentry) answers 400
        content_type = (app.current_event.headers or {}).get("content-type", "")
        if content_type.lower().startswith("multipart/form-data") and "boundary=" not in content_type:
            return json_response(400, {"detail": MULTIPART_WITHOUT_BOUNDARY})
        return _unexpected(error)

    @app.exception_handler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return json_response(error.status_code, error.body(), error.headers() or None)

    @app.not_found
    def _not_found(_: Exception) -> Response:
        return json_response(404, {"detail": "The requested resource does not exist"})

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        if is_fault(error):
            logger.warning("storage busy after retries", exc_info=error)
            retry_after = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            return json_response(busy_status, {"detail": BUSY_DETAIL}, retry_after)
        logger.exception("unhandled error")
        return json_response(500, {"detail": "Internal Error"})
