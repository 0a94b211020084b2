"""API Gateway (HTTP API, Lambda proxy integration, payload format 2.0) as this template configures it:
an HTTP request becomes a 2.0 event for the function whose route matches, and the function's result
becomes the HTTP response.

Everything API Gateway decides lives here: which route matches, the event's shape (``rawPath`` at the
root of the URL: the ``$default`` stage adds no path; header names lower-cased and repeated headers
joined with commas; cookies apart) and the body rules. HTTP APIs have no binary media types: a body
reaches the function as UTF-8 text only when it carries no ``Content-Encoding`` and its media type is
textual (``text/*``, ``application/json``, ``application/javascript``, ``application/xml``), otherwise
base64-encoded byte for byte. A result is read by the 2.0 rules: a dict with ``statusCode`` is a full
response (``cookies`` become ``Set-Cookie`` headers, ``isBase64Encoded`` bodies are decoded); any
other value the function returns is, as JSON, the body of a 200 ``application/json`` answer.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from functools import cached_property
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from local.lambda_pool import InvocationFailed, InvocationTimedOut
from local.template import Route, routes

Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]

TEXT_MEDIA_TYPES = ("application/json", "application/javascript", "application/xml")


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def is_text(content_type: str | None, content_encoding: str | None) -> bool:
    """Whether API Gateway passes a request body as text rather than base64-encoded."""
    if (content_encoding or "").strip():
        return False
    media_type = _media_type(content_type)
    return media_type.startswith("text/") or media_type in TEXT_MEDIA_TYPES


def proxy_event(request: Request, path: str, route_key: str, api_id: str, account_id: str) -> dict[str, Any]:
    """The payload format 2.0 event of ``request`` at ``path`` (as sent, still percent-encoded), as
    HTTP API routes it under ``route_key`` (and a Lambda function URL under ``$default``): header
    names lower-cased, WSGI having already joined a repeated header's values with commas, as AWS
    does; cookies apart; query values joined with commas; the body by HTTP API's text rules."""
    body, is_base64 = request_body(request)
    headers = {key.lower(): value for key, value in request.headers.items() if key.lower() != "cookie"}
    cookies = [c.strip() for c in request.headers.get("Cookie", "").split(";") if c.strip()]
    query: dict[str, list[str]] = {}
    for key, value in request.args.items(multi=True):
        query.setdefault(key, []).append(value)
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": request.environ.get("QUERY_STRING", ""),
        "headers": headers,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": request.host,
            "domainPrefix": request.host.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": request.remote_addr,
                "userAgent": request.user_agent.string,
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = {key: ",".join(values) for key, values in query.items()}
    if body is not None:
        event["body"] = body
    return event


def request_body(request: Request) -> tuple[str | None, bool]:
    """The event's ``body`` and ``isBase64Encoded`` for this request."""
    raw = request.get_data()
    if not raw:
        return None, False
    if is_text(request.headers.get("Content-Type"), request.headers.get("Content-Encoding")):
        return raw.decode("utf-8", errors="replace"), False
    return base64.b64encode(raw).decode("ascii"), True


def proxy_response(result: Any) -> Response:
    """A function's result read by the 2.0 rules (see the module's docstring)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # 2.0: anything else the function returns is, as JSON, the body of a 200
        return Response(json.dumps(result), status=200, content_type="application/json")
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    response = Response(data, status=int(result["statusCode"]))
    response.headers.clear()
    for key, value in (result.get("headers") or {}).items():
        response.headers[key] = value
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response


class HttpApi:
    """The template's ``AWS::Serverless::HttpApi`` with its ``$default`` stage and routes."""

    @cached_property
    def routes(self) -> list[Route]:
        return routes()

    def event(self, request: Request, route: Route, path: str, params: dict[str, str]) -> dict[str, Any]:
        event = proxy_event(
            request, path, f"{route.method} {route.path}", api_id="local", account_id="000000000000"
        )
        if params:  # API Gateway decodes them; rawPath stays as sent
            event["pathParameters"] = {name: unquote(value) for name, value in params.items()}
        return event

    def handle(self, request: Request, invoke: Invoke) -> Response:
        """Route ``request``, invoke the function with its event, answer with its result.

        The first route in HTTP API's order of preference whose method and path match takes the
        request; when none does, the API itself answers 404 ``{"message":"Not Found"}`` (an HTTP API
        has no 405: a path served only for other methods is simply not matched)."""
        path = raw_path(request)
        for route in self.routes:
            if route.method not in (request.method, "ANY"):
                continue
            match = route.pattern.match(path)
            if not match:
                continue
            try:
                result = invoke(route.function, self.event(request, route, path, match.groupdict()))
            except InvocationTimedOut:  # how an HTTP API answers a Lambda timeout
                return json_response(503, {"message": "Service Unavailable"})
            except InvocationFailed:
                return json_response(500, {"message": "Internal Server Error"})
            return proxy_response(result)
        return json_response(404, {"message": "Not Found"})


def raw_path(request: Request) -> str:
    """The path as sent (still percent-encoded), as API Gateway hands it to the function."""
    return request.environ.get("RAW_URI", request.full_path).split("?", 1)[0] or request.path


def json_response(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
