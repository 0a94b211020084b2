"""Stopping the background workers waits for the batches in flight: ``make run`` and the benches
stop their servers right after, and a worker still running would meet them stopped and write its
output after theirs."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import boto3

from local.background import Background

QUEUE = "ReleaseCommitsQueue"
BATCH_SECONDS = 6.0  # longer than any fixed wait a stop could give up after


def test_stop_returns_once_the_batch_in_flight_is_done() -> None:
    started, finished = threading.Event(), threading.Event()

    def slow_invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        started.set()
        time.sleep(BATCH_SECONDS)
        finished.set()
        return {}

    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=os.environ["RELEASE_COMMITS_QUEUE_URL"], MessageBody="{}")
    workers = Background(slow_invoke, only_queues=frozenset({QUEUE}))
    workers.start()
    assert started.wait(10), "the consumer never took the message"
    stopping = time.monotonic()
    workers.stop()
    assert finished.is_set(), "stop returned while the batch was still being processed"
    assert time.monotonic() - stopping < BATCH_SECONDS + 5
    assert not any(thread.is_alive() for thread in workers.threads)
