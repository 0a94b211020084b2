"""The local API: a concurrent HTTP server in front of API Gateway's translation and Lambda's pools.

Each request is routed and turned into a proxy event by ``local.gateway`` (the template's routes and
body rules), and runs on an execution environment of the function the template names, on behalf of
the meters the request names (``local.metering``; the header is taken off first, unseen by API
Gateway's translation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request

from local.gateway import HttpApi
from local.keep_alive import KeepAlive
from local.lambda_pool import LocalLambda
from local.metering import METER_ENVIRON, on_behalf_of


class LocalApi:
    """A WSGI app: API Gateway in front of the local Lambda service."""

    def __init__(self, service: LocalLambda) -> None:
        self.api = HttpApi()
        self.service = service

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with on_behalf_of(environ.pop(METER_ENVIRON, None)):
            response = self.api.handle(Request(environ), self.service.invoke)
        return response(environ, start_response)


def start_api_server(host: str, port: int, service: LocalLambda) -> BaseWSGIServer:
    """A threaded HTTP server for the local API, keeping connections open (call ``serve_forever``)."""
    return make_server(host, port, LocalApi(service), threaded=True, request_handler=KeepAlive)
