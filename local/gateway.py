"""API Gateway (REST API, Lambda proxy integration) as this template configures it: an HTTP request
becomes a proxy event for the function whose route matches, and the function's result becomes the
HTTP response.

Everything API Gateway decides lives here: which route matches, the event's shape (payload 1.0,
stage from the template), and the body rules — a request body reaches the function base64-encoded
exactly when its Content-Type matches the API's ``BinaryMediaTypes``, otherwise as UTF-8 text (bytes
that are not UTF-8 arrive mangled, as they would on AWS); a result with ``isBase64Encoded`` is
decoded to bytes when the request's Accept or the response's Content-Type is a binary media type.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from werkzeug.wrappers import Request, Response

from local.lambda_pool import InvocationFailed
from local.template import Route, resources, routes

Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _matches(media_type: str, pattern: str) -> bool:
    """API Gateway's media-type match: exact, ``type/*`` or ``*/*``."""
    kind, _, subtype = pattern.lower().partition("/")
    actual_kind, _, actual_subtype = media_type.partition("/")
    return kind in ("*", actual_kind) and subtype in ("*", actual_subtype)


@dataclass(frozen=True)
class RestApi:
    """One ``AWS::Serverless::Api`` of the template: its stage, binary media types and routes."""

    stage: str
    binary_media_types: tuple[str, ...]

    @classmethod
    def from_template(cls) -> RestApi:
        [props] = resources("AWS::Serverless::Api").values()
        # CloudFormation spells "/" as "~1" in BinaryMediaTypes
        binary = tuple(t.replace("~1", "/") for t in props.get("BinaryMediaTypes", []))
        return cls(stage=str(props.get("StageName", "v1")), binary_media_types=binary)

    @cached_property
    def routes(self) -> list[Route]:
        return routes()

    def is_binary(self, content_type: str | None) -> bool:
        media_type = _media_type(content_type)
        return bool(media_type) and any(_matches(media_type, p) for p in self.binary_media_types)

    def body(self, request: Request) -> tuple[str | None, bool]:
        """The event's ``body`` and ``isBase64Encoded`` for this request."""
        raw = request.get_data()
        if not raw:
            return None, False
        if self.is_binary(request.headers.get("Content-Type")):
            return base64.b64encode(raw).decode("ascii"), True
        return raw.decode("utf-8", errors="replace"), False

    def event(self, request: Request, route: Route, path: str, params: dict[str, str]) -> dict[str, Any]:
        body, is_base64 = self.body(request)
        multi_headers: dict[str, list[str]] = {}
        for key, value in request.headers.items():
            multi_headers.setdefault(key, []).append(value)
        multi_query = {key: request.args.getlist(key) for key in request.args}
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": request.method,
            "headers": {key: values[-1] for key, values in multi_headers.items()},
            "multiValueHeaders": multi_headers,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": route.path,
                "httpMethod": request.method,
                "path": f"/{self.stage}{path}",
                "stage": self.stage,
                "requestId": str(uuid.uuid4()),
                "requestTimeEpoch": int(time.time() * 1000),
                "identity": {"sourceIp": request.remote_addr, "userAgent": request.user_agent.string},
                "accountId": "000000000000",
                "apiId": "local",
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            },
            "body": body,
            "isBase64Encoded": is_base64,
        }

    def response(self, request: Request, result: dict[str, Any]) -> Response:
        headers = dict(result.get("headers") or {})
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
        body = result.get("body") or ""
        accept = request.headers.get("Accept", "")
        binary = self.is_binary(content_type) or any(self.is_binary(a) for a in accept.split(","))
        data = base64.b64decode(body) if result.get("isBase64Encoded") and binary else body.encode("utf-8")
        response = Response(data, status=int(result.get("statusCode", 200)))
        response.headers.clear()
        for key, value in headers.items():
            response.headers[key] = value
        for key, values in (result.get("multiValueHeaders") or {}).items():
            response.headers.remove(key)
            for value in values:
                response.headers.add(key, value)
        return response

    def handle(self, request: Request, invoke: Invoke) -> Response:
        """Route ``request``, invoke the function with its event, answer with its result."""
        path = _raw_path(request)
        matched_path = False
        for route in self.routes:
            match = route.pattern.match(path)
            if not match:
                continue
            matched_path = True
            if route.method not in (request.method, "ANY"):
                continue
            try:
                result = invoke(route.function, self.event(request, route, path, match.groupdict()))
            except InvocationFailed:
                return _json(502, {"message": "Internal server error"})
            return self.response(request, result)
        if matched_path:
            return _json(405, {"detail": f'Method "{request.method}" not allowed.'})
        return _json(404, {"detail": "The requested resource does not exist"})


def _raw_path(request: Request) -> str:
    """The path as sent (still percent-encoded), as API Gateway hands it to the function."""
    return request.environ.get("RAW_URI", request.full_path).split("?", 1)[0] or request.path


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
