"""The local API: a concurrent HTTP server in front of API Gateway's translation and Lambda's pools.

Each request is routed and turned into a proxy event by ``local.gateway`` (the template's routes and
body rules), and runs on an execution environment of the function the template names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request

from local.gateway import HttpApi
from local.keep_alive import KeepAlive
from local.lambda_pool import LocalLambda


class LocalApi:
    """A WSGI app: API Gateway in front of the local Lambda service."""

    def __init__(self, service: LocalLambda) -> None:
        self.api = HttpApi()
        self.service = service

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        response = self.api.handle(Request(environ), self.service.invoke)
        return response(environ, start_response)


def start_api_server(host: str, port: int, service: LocalLambda) -> BaseWSGIServer:
    """A threaded HTTP server for the local API, keeping connections open (call ``serve_forever``)."""
    return make_server(host, port, LocalApi(service), threaded=True, request_handler=KeepAlive)
