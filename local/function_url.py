"""A Lambda function URL (``FunctionUrlConfig``, auth type NONE) as the template configures it: every
request, whatever its path and method, becomes a payload format 2.0 event for the one function, and
its result becomes the HTTP response.

What differs from API Gateway's translation (``local.gateway``): no routes (``routeKey`` and ``stage``
are ``$default``, there are no ``pathParameters``; ``rawPath`` is the full path and the function
answers unknown paths itself); the host is the function's own (``<url-id>.lambda-url.<region>.on.aws``
on AWS, a port of its own here); and with a ``Cors`` configuration Lambda answers preflight requests
itself and adds the configured headers to every answer to a request with an ``Origin``. A function
error or timeout is answered 502, as a function URL answers it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from local.gateway import Invoke, json_response, proxy_event, proxy_response, raw_path
from local.keep_alive import KeepAlive
from local.lambda_pool import InvocationFailed, InvocationTimedOut, LocalLambda
from local.metering import METER_ENVIRON, on_behalf_of
from local.template import resources


@dataclass(frozen=True)
class Cors:
    """A function URL's ``Cors`` block (AWS's property names, values as lists)."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None

    @classmethod
    def of(cls, config: dict[str, Any]) -> Cors:
        def listed(name: str) -> tuple[str, ...]:
            return tuple(str(value) for value in config.get(name) or ())

        max_age = config.get("MaxAge")
        return cls(
            listed("AllowOrigins"),
            listed("AllowMethods"),
            listed("AllowHeaders"),
            listed("ExposeHeaders"),
            None if max_age is None else int(max_age),
        )

    def origin(self, origin: str) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for a request from ``origin`` (None: not allowed)."""
        if "*" in self.allow_origins:
            return "*"
        return origin if origin in self.allow_origins else None

    def headers(self, origin: str) -> dict[str, str]:
        """Headers Lambda adds to an answer to a request from ``origin``."""
        allowed = self.origin(origin)
        if allowed is None:
            return {}
        headers = {"Access-Control-Allow-Origin": allowed}
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(self.expose_headers)
        return headers

    def preflight(self, origin: str) -> Response:
        """Lambda's own answer to an ``OPTIONS`` preflight request (the function is not invoked)."""
        response = Response(status=200)
        response.headers.update(self.headers(origin))
        if self.allow_methods:
            response.headers["Access-Control-Allow-Methods"] = ",".join(self.allow_methods)
        if self.allow_headers:
            response.headers["Access-Control-Allow-Headers"] = ",".join(self.allow_headers)
        if self.max_age is not None:
            response.headers["Access-Control-Max-Age"] = str(self.max_age)
        return response


@dataclass(frozen=True)
class FunctionUrl:
    """The one function of the template with a function URL, and its CORS configuration."""

    function: str
    cors: Cors | None

    @classmethod
    def of_template(cls) -> FunctionUrl:
        [(name, config)] = [
            (name, props["FunctionUrlConfig"])
            for name, props in resources("AWS::Serverless::Function").items()
            if "FunctionUrlConfig" in props
        ]
        return cls(name, Cors.of(config["Cors"]) if config.get("Cors") else None)

    def event(self, request: Request) -> dict[str, Any]:
        return proxy_event(request, raw_path(request), "$default", api_id="local-url", account_id="anonymous")

    def handle(self, request: Request, invoke: Invoke) -> Response:
        origin = request.headers.get("Origin")
        preflight = request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method")
        if self.cors is not None and origin and preflight:
            return self.cors.preflight(origin)
        try:
            response = proxy_response(invoke(self.function, self.event(request)))
        except (InvocationTimedOut, InvocationFailed):
            response = json_response(502, {"Message": "Internal Server Error"})
        if self.cors is not None and origin:
            for name in [n for n, _ in response.headers.items() if n.lower().startswith("access-control-")]:
                del response.headers[name]  # Lambda's configuration replaces the function's own
            response.headers.update(self.cors.headers(origin))
        return response


class LocalFunctionUrl:
    """A WSGI app: the function URL in front of the local Lambda service (meters as ``local.api``)."""

    def __init__(self, service: LocalLambda) -> None:
        self.service = service

    @cached_property
    def url(self) -> FunctionUrl:
        return FunctionUrl.of_template()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with on_behalf_of(environ.pop(METER_ENVIRON, None)):
            response = self.url.handle(Request(environ), self.service.invoke)
        return response(environ, start_response)


def start_function_url_server(host: str, port: int, service: LocalLambda) -> BaseWSGIServer:
    """A threaded HTTP server for the function URL's host (call ``serve_forever``)."""
    return make_server(host, port, LocalFunctionUrl(service), threaded=True, request_handler=KeepAlive)
