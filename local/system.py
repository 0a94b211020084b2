"""The local system inside this process: a locked moto server with the template's tables and queues,
the demo organization, and (optionally) the local API in a thread. Benchmarks use it as it is;
``python -m local`` adds the background workers and serves the API in the foreground."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from local.dynamodb_local import start_selected, stop
from local.moto_server import free_port, start_process
from local.resources import provision

if TYPE_CHECKING:
    from local.seed import Demo


@dataclass
class LocalSystem:
    base_url: str
    endpoint: str
    demo: Demo


@contextmanager
def local_system(
    serve_api: bool = True, port: int | None = None, moto_port: int | None = None
) -> Iterator[LocalSystem]:
    """Start everything (on free ports unless told), yield it, and stop it all on exit (also on
    errors). Without ``serve_api`` the caller serves the API on ``port`` itself."""
    moto, endpoint = start_process(moto_port)
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    dynamodb = None
    try:
        dynamodb, dynamodb_url = start_selected()  # DynamoDB Local when WATCHTOWER_DYNAMODB asks
        provision(endpoint, public_url=base_url, dynamodb_url=dynamodb_url)
        # Imported only now: the domain reads table names from the environment just provisioned.
        from local.api import start_api_server
        from local.seed import seed_demo

        system = LocalSystem(base_url, endpoint, seed_demo())
        if not serve_api:
            yield system
            return
        server = start_api_server("127.0.0.1", port)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield system
        finally:
            server.shutdown()
    finally:
        stop(dynamodb)
        moto.terminate()
        moto.wait(timeout=10)
