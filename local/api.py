"""The local API: HTTP request → API Gateway REST proxy event → the handler the template names.

Routes come from the template's ``Api`` events, so a route exists locally exactly when it exists
on AWS. Handlers are imported by their ``Handler`` string and called in-process.
"""

from __future__ import annotations

import base64
import importlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from local.lambda_context import LocalContext
from local.template import Route, routes

STAGE = "v1"
_TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded")


def load_handler(handler: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    module, _, attribute = handler.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def _body(request: Request) -> tuple[str | None, bool]:
    raw = request.get_data()
    if not raw:
        return None, False
    textual = not request.content_encoding and (request.mimetype or "").startswith(_TEXT_TYPES)
    if textual:
        try:
            return raw.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(raw).decode("ascii"), True


def _raw_path(request: Request) -> str:
    """The path as sent (still percent-encoded), as API Gateway hands it to the function."""
    return request.environ.get("RAW_URI", request.full_path).split("?", 1)[0] or request.path


def build_event(request: Request, route: Route, path: str, params: dict[str, str]) -> dict[str, Any]:
    body, is_base64 = _body(request)
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
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
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


def _to_response(result: dict[str, Any]) -> Response:
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    response = Response(data, status=int(result.get("statusCode", 200)))
    response.headers.clear()
    for key, value in (result.get("headers") or {}).items():
        response.headers[key] = value
    for key, values in (result.get("multiValueHeaders") or {}).items():
        response.headers.remove(key)
        for value in values:
            response.headers.add(key, value)
    return response


def _json_error(status: int, detail: str) -> Response:
    import json

    return Response(json.dumps({"detail": detail}), status=status, content_type="application/json")


class LocalApi:
    """A WSGI app dispatching to the template's handlers."""

    def __init__(self) -> None:
        self.routes = routes()
        self.handlers: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {}

    def _handler(self, route: Route) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        if route.handler not in self.handlers:
            self.handlers[route.handler] = load_handler(route.handler)
        return self.handlers[route.handler]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        path = _raw_path(request)
        matched_path = False
        for route in self.routes:
            match = route.pattern.match(path)
            if not match:
                continue
            matched_path = True
            if route.method not in (request.method, "ANY"):
                continue
            event = build_event(request, route, path, match.groupdict())
            result = self._handler(route)(event, LocalContext(route.function))
            return _to_response(result)(environ, start_response)
        if matched_path:
            return _json_error(405, f'Method "{request.method}" not allowed.')(environ, start_response)
        return _json_error(404, "The requested resource does not exist")(environ, start_response)


def start_api_server(host: str, port: int) -> BaseWSGIServer:
    """A threaded HTTP server for the local API (call ``serve_forever`` on it)."""
    return make_server(host, port, LocalApi(), threaded=True)
