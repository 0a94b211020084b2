"""moto's DynamoDB/SQS server, serialised behind one lock, optionally keeping its tables and/or
queues on disk.

moto's own threaded server is not atomic: concurrent ``UpdateItem ADD`` calls can return the same
counter value. Serving its WSGI app behind a global lock makes every request atomic, as DynamoDB
is, at the same throughput (the GIL serialises moto anyway). The local system runs two of them,
one for DynamoDB and one for SQS (and anything else), so that the two services' requests use two
cores and an event's ``SendMessage`` never waits behind a transaction: atomicity is only needed
within a service. Run as ``python -m local.moto_server``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests

from local.keep_alive import KeepAlive
from local.moto_snapshot import KEPT, Snapshots

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Serialised:
    """WSGI middleware running one request at a time, body included; ``observer`` (if any) is told
    of each request after it ran, outside the lock."""

    def __init__(self, app: WsgiApp, observer: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.observer = observer

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            body = list(self.app(environ, start_response))
        if self.observer is not None:
            self.observer(environ)
        return body


def _exit_with_parent(parent: int) -> None:
    """Stop (saving, if keeping data) when the process that started this one is gone."""
    while os.getppid() == parent:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)


def serve(
    host: str,
    port: int,
    data_dir: Path | None = None,
    snapshot_idle_seconds: float = 3.0,
    kept: tuple[str, ...] = KEPT,
) -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from local import moto_patches
    from local.faults import FaultInjector
    from local.sqs_direct import DirectSqs

    moto_patches.install()  # each request at the cost of what it names (see the module)
    if os.environ.get("LOCAL_MAIL_DIR"):
        from local import mail_outbox

        mail_outbox.install(Path(os.environ["LOCAL_MAIL_DIR"]))  # alert email as .eml files

    # plain sends, receives and batch deletes skip moto's web framework (local.sqs_direct)
    app = Serialised(FaultInjector(DirectSqs(DomainDispatcherApplication(create_backend_app))))
    snapshots = None
    if data_dir is not None:
        snapshots = Snapshots(data_dir, app.lock, snapshot_idle_seconds, kept)
        snapshots.load()
        app.observer = snapshots.seen
        threading.Thread(target=snapshots.run, daemon=True).start()
    handler = type("MotoKeepAlive", (KeepAlive, MotoRequestHandler), {})
    server = make_server(host, port, app, threaded=True, request_handler=handler)

    def stop(*_: object) -> None:
        if snapshots is not None:
            snapshots.stop()
        os._exit(0)  # serve_forever's threads are daemons: nothing else to wait for

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
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


def start_process(
    port: int | None = None, data_dir: Path | None = None, kept: tuple[str, ...] = KEPT
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the locked server in its own process (its own core); returns it and its URL. With
    ``data_dir`` what it keeps (``kept``: its tables, its queues, its buckets) is loaded from and
    saved to that folder. It runs in its own session: a Ctrl-C reaches only the caller, which stops it (and so
    saves) in order."""
    port = port or free_port()
    keep = ["--data-dir", str(data_dir), *(f"--keep={name}" for name in kept)] if data_dir is not None else []
    process = subprocess.Popen(
        [sys.executable, "-m", "local.moto_server", "--port", str(port), *keep],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url)
    return process, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--data-dir", type=Path, help="keep the tables in this folder across restarts")
    parser.add_argument(
        "--keep", action="append", choices=KEPT, help="what to keep in --data-dir (repeatable; default: all)"
    )
    args = parser.parse_args()
    idle = float(os.environ.get("LOCAL_SNAPSHOT_IDLE_SECONDS", "3"))
    serve(args.host, args.port, args.data_dir, idle, tuple(args.keep or KEPT))


if __name__ == "__main__":
    main()
