"""The local DynamoDB's data, SQS's queued messages and S3's objects kept on disk, so ``make run``
comes back with them after a restart.

Inside a moto server process, what it keeps (``KEPT``: the tables, the queues, the buckets, or some
of them: with DynamoDB Local the local system serves DynamoDB from another process, each keeping
its own file) is pickled for every
account and region under the server's lock (so the snapshot is consistent), written to a temporary
file and moved over the previous snapshot (a crash never leaves half a file): when the server stops
(Ctrl-C, SIGTERM), and after writes once its service has been quiet for ``idle`` seconds, so
that a save (≈80 µs per item under the lock) never holds up a request of a busy moment. A snapshot
that cannot be read (e.g. written by another moto version) is moved aside and the server starts
empty.

A queue comes back with all its messages: a delayed one keeps its due time (it is visible at once if
that passed while the system was stopped) and one that was in flight is visible again at once, as
SQS makes it visible when its consumer, gone with the old process, never deleted it. The template's
queue attributes are set again when the system provisions (``local.resources``). SQS requests are
told apart by their JSON protocol target (``AmazonSQS.<Operation>``, what boto3 sends); polls
(``ReceiveMessage``) are not writes, so the idle pollers neither make a snapshot due nor put it off.
S3 requests are told apart by their signature's credential scope (``…/s3/aws4_request``); a PUT,
POST or DELETE is a write. A bucket comes back with its objects and its configuration."""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from pathlib import Path
from typing import Any

SNAPSHOT_NAME = "dynamodb.pickle"
QUEUES_NAME = "sqs.pickle"
BUCKETS_NAME = "s3.pickle"
KEPT = ("dynamodb", "sqs", "s3")  # what a server can keep: its tables, its queues, its buckets
_READS = ("Get", "Query", "Scan", "Describe", "List", "BatchGet", "TransactGet")
_SQS_READS = ("Get", "List", "ReceiveMessage")
_QUEUE_LOCK = "_messages_lock"  # a moto Queue's one unpicklable attribute, made anew on load
logger = logging.getLogger(__name__)


def is_dynamodb_write(environ: dict[str, Any]) -> bool:
    service, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
    return service.startswith("DynamoDB") and not operation.startswith(_READS)


def is_sqs_write(environ: dict[str, Any]) -> bool:
    service, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
    return service == "AmazonSQS" and not operation.startswith(_SQS_READS)


def is_s3_write(environ: dict[str, Any]) -> bool:
    return "/s3/aws4_request" in environ.get("HTTP_AUTHORIZATION", "") and environ.get("REQUEST_METHOD") in {
        "PUT",
        "POST",
        "DELETE",
    }


def _backends() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends


def _sqs_backends() -> Any:
    from moto.sqs.models import sqs_backends

    return sqs_backends


def _s3_backends() -> Any:
    from moto.s3.models import s3_backends

    return s3_backends


def _queue_state(queue: Any) -> dict[str, Any]:
    """A moto queue's attributes, picklable: no lock, its dead-letter queue by name."""
    state = {key: value for key, value in vars(queue).items() if key != _QUEUE_LOCK}
    if queue.dead_letter_queue is not None:
        state["dead_letter_queue"] = queue.dead_letter_queue.name
    return state


def _restored_queues(states: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Moto queues from their saved states, their in-flight messages visible again."""
    from threading import Condition

    from moto.sqs.models import Queue

    queues: dict[str, Any] = {}
    for name, state in states.items():
        queue = queues[name] = Queue.__new__(Queue)
        vars(queue).update(state)
        setattr(queue, _QUEUE_LOCK, Condition())
        queue._pending_messages = set()  # FIFO groups held by the consumers that are gone
        for message in queue._messages:
            message.visible_at = 0.0  # delayed_until, a wall-clock time, still holds a delayed one
    for queue in queues.values():
        if queue.dead_letter_queue is not None:
            queue.dead_letter_queue = queues.get(queue.dead_letter_queue)
    return queues


def _tables() -> dict[tuple[str, str], Any]:
    return {
        (account, region): backend.tables
        for account, regions in _backends().items()
        for region, backend in regions.items()
        if backend.tables
    }


def _buckets() -> dict[tuple[str, str], Any]:
    return {
        (account, partition): backend.buckets
        for account, partitions in _s3_backends().items()
        for partition, backend in partitions.items()
        if backend.buckets
    }


def _queues() -> dict[tuple[str, str], Any]:
    return {
        (account, region): {name: _queue_state(queue) for name, queue in backend.queues.items()}
        for account, regions in _sqs_backends().items()
        for region, backend in regions.items()
        if backend.queues
    }


class Snapshots:
    """Writes the tables, queues and/or buckets (``kept``, of ``KEPT``) to ``directory`` when they
    changed; ``lock`` is the server's lock."""

    def __init__(
        self, directory: Path, lock: threading.Lock, idle: float, kept: tuple[str, ...] = KEPT
    ) -> None:
        self.path = directory / SNAPSHOT_NAME if "dynamodb" in kept else None
        self.queues_path = directory / QUEUES_NAME if "sqs" in kept else None
        self.buckets_path = directory / BUCKETS_NAME if "s3" in kept else None
        self.lock, self.idle = lock, idle
        self.dirty = threading.Event()
        self.stopped = threading.Event()
        # One save at a time: the idle saver and the stop's save write the same temporary files.
        self.saving = threading.Lock()
        self.last_request = time.monotonic()
        directory.mkdir(parents=True, exist_ok=True)

    def seen(self, environ: dict[str, Any]) -> None:
        """Called after each request the server answered."""
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            self.last_request = time.monotonic()
            if is_dynamodb_write(environ):
                self.dirty.set()
        elif is_sqs_write(environ) or is_s3_write(environ):
            self.last_request = time.monotonic()
            self.dirty.set()

    def _read(self, path: Path | None) -> dict[tuple[str, str], dict[str, Any]]:
        """One snapshot file; empty when there is none, this server does not keep it, or it cannot
        be read (it is moved aside)."""
        if path is None or not path.exists():
            return {}
        try:
            return pickle.loads(path.read_bytes())
        except Exception as error:  # another moto version, a truncated disk: keep it, start empty
            path.replace(path.with_suffix(".unreadable"))
            logger.warning("snapshot %s unreadable (%s): starting empty", path.name, error)
            return {}

    def load(self) -> tuple[int, int]:
        """Put the saved tables and queues back (before the server serves); returns how many tables
        and how many queued messages."""
        tables = self._read(self.path)
        for (account, region), kept in tables.items():
            _backends()[account][region].tables = kept
        queues = self._read(self.queues_path)
        for (account, region), states in queues.items():
            backend = _sqs_backends()[account][region]
            backend.queues = _restored_queues(states)
        for (account, partition), buckets in self._read(self.buckets_path).items():
            _s3_backends()[account][partition].buckets = buckets
        messages = sum(len(state["_messages"]) for states in queues.values() for state in states.values())
        return sum(len(kept) for kept in tables.values()), messages

    def save(self) -> float:
        """Write what this server keeps now; returns the seconds the lock was held. A save waits for
        one under way (Ctrl-C during an idle save), so the newer state is the one left on disk."""
        with self.saving:
            self.dirty.clear()
            with self.lock:
                started = time.perf_counter()
                kept = ((self.path, _tables), (self.queues_path, _queues), (self.buckets_path, _buckets))
                files = [
                    (path, pickle.dumps(state(), protocol=pickle.HIGHEST_PROTOCOL))
                    for path, state in kept
                    if path is not None
                ]
                held = time.perf_counter() - started
            for path, data in files:
                temporary = path.with_suffix(".tmp")
                temporary.write_bytes(data)
                os.replace(temporary, path)
            return held

    def run(self) -> None:
        """Save after writes once this server's requests have been quiet for ``idle`` s, until ``stop``."""
        while not self.stopped.wait(0.5):
            if self.dirty.is_set() and time.monotonic() - self.last_request >= self.idle:
                held = self.save()
                logger.info("snapshot saved (lock held %.1f ms)", held * 1000)

    def stop(self) -> None:
        self.stopped.set()
        self.save()
