"""The local DynamoDB's data kept on disk, so ``make run`` comes back with it after a restart.

Inside the moto server process, the tables of every account and region are pickled under the
server's lock (so the snapshot is consistent), written to a temporary file and moved over the
previous snapshot (a crash never leaves half a file): when the server stops (Ctrl-C, SIGTERM), and
after writes once DynamoDB has been quiet for ``idle`` seconds, so that a save (≈80 µs per item
under the lock) never holds up a request of a busy moment. A snapshot that cannot be read (e.g.
written by another moto version) is moved aside and the server starts empty. Queued SQS messages are
not kept: the sweeper queues due deletions again."""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from pathlib import Path
from typing import Any

SNAPSHOT_NAME = "dynamodb.pickle"
_READS = ("Get", "Query", "Scan", "Describe", "List", "BatchGet", "TransactGet")
logger = logging.getLogger(__name__)


def is_dynamodb_write(environ: dict[str, Any]) -> bool:
    service, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
    return service.startswith("DynamoDB") and not operation.startswith(_READS)


def _backends() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends


class Snapshots:
    """Writes the tables to ``directory`` when they changed; ``lock`` is the server's lock."""

    def __init__(self, directory: Path, lock: threading.Lock, idle: float) -> None:
        self.path = directory / SNAPSHOT_NAME
        self.lock, self.idle = lock, idle
        self.dirty = threading.Event()
        self.stopped = threading.Event()
        self.last_request = time.monotonic()
        directory.mkdir(parents=True, exist_ok=True)

    def seen(self, environ: dict[str, Any]) -> None:
        """Called after each request the server answered."""
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            self.last_request = time.monotonic()
            if is_dynamodb_write(environ):
                self.dirty.set()

    def load(self) -> int:
        """Put the saved tables back (before the server serves); returns how many tables."""
        if not self.path.exists():
            return 0
        try:
            saved: dict[tuple[str, str], dict[str, Any]] = pickle.loads(self.path.read_bytes())
        except Exception as error:  # another moto version, a truncated disk: keep it, start empty
            self.path.replace(self.path.with_suffix(".unreadable"))
            logger.warning("snapshot unreadable (%s): starting empty", error)
            return 0
        for (account, region), tables in saved.items():
            _backends()[account][region].tables = tables
        return sum(len(tables) for tables in saved.values())

    def save(self) -> float:
        """Write the tables now; returns the seconds the lock was held."""
        self.dirty.clear()
        with self.lock:
            started = time.perf_counter()
            data = pickle.dumps(
                {
                    (account, region): backend.tables
                    for account, regions in _backends().items()
                    for region, backend in regions.items()
                    if backend.tables
                },
                protocol=pickle.HIGHEST_PROTOCOL,
            )
            held = time.perf_counter() - started
        temporary = self.path.with_suffix(".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, self.path)
        return held

    def run(self) -> None:
        """Save after writes once DynamoDB has been quiet for ``idle`` seconds, until ``stop``."""
        while not self.stopped.wait(0.5):
            if self.dirty.is_set() and time.monotonic() - self.last_request >= self.idle:
                held = self.save()
                logger.info("snapshot saved (lock held %.1f ms)", held * 1000)

    def stop(self) -> None:
        self.stopped.set()
        self.save()
