"""moto's DynamoDB/SQS server, serialised behind one lock.

moto's own threaded server is not atomic: concurrent ``UpdateItem ADD`` calls can return the same
counter value. Serving its WSGI app behind a global lock makes every request atomic, as DynamoDB
is, at the same throughput (the GIL serialises moto anyway). Run as ``python -m local.moto_server``.
"""

from __future__ import annotations

import argparse
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import requests

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Serialised:
    """WSGI middleware running one request at a time, body included."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


class _TableCopiedOnce:
    """Stands in for the ``copy`` module inside moto's ``transact_write_items``.

    For rollback, moto deep-copies the whole table once per *item* of a transaction, so a
    transaction of 100 puts copies the table 100 times and commit-heavy tests slow to seconds per
    call. Within one transaction every copy is of the same unchanged table, so one copy serves
    them all; the semantics (all-or-nothing, with rollback) are moto's own."""

    def __init__(self, real: Any, table_type: type) -> None:
        self.real, self.table_type = real, table_type
        self.copies: dict[int, Any] = {}

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self.table_type):
            if id(value) not in self.copies:
                self.copies[id(value)] = self.real.deepcopy(value)
            return self.copies[id(value)]
        return self.real.deepcopy(value, memo)


def _copy_each_table_once_per_transaction() -> None:
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        models.copy = _TableCopiedOnce(copy, Table)  # requests are serialised: no other caller
        try:
            return original(self, transact_items)
        finally:
            models.copy = copy

    models.DynamoDBBackend.transact_write_items = transact_write_items


def serve(host: str, port: int) -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _copy_each_table_once_per_transaction()
    from local.faults import FaultInjector

    app = Serialised(FaultInjector(DomainDispatcherApplication(create_backend_app)))
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"moto server on http://{host}:{port}", flush=True)
    server.serve_forever()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/moto-api/", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"moto server at {url} did not start")


def start_process(port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start the locked server in its own process (its own core); returns it and its URL."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.moto_server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url)
    return process, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
