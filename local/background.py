"""What AWS runs without a request: SQS-triggered functions and scheduled functions.

moto cannot invoke Lambda from SQS or a schedule (that needs Docker), so these threads poll each
queue the template wires to a function and invoke it (through the same Lambda pools as the API)
with the SQS batch event, deleting what it does not report as failed, and fire scheduled functions
on their rate. Polls are short (``WaitTimeSeconds=0``) and the wait between empty polls happens
here, outside the moto server: its lock, which makes DynamoDB requests atomic, is held for the
duration of one receive, never for a long poll."""

from __future__ import annotations

import json
import os
import threading
import time
from functools import lru_cache
from typing import Any

import boto3

from local.gateway import Invoke
from local.lambda_pool import InvocationFailed
from local.metering import caused_by, unmetered
from local.template import QueueConsumer, Schedule, queue_consumers, schedules

IDLE_POLL_SECONDS = 0.25
# The template's batching window, capped here: the local system answers within a second.
LOCAL_BATCHING_WINDOW_SECONDS = 0.4
# The template's batch size, capped here: a backlog (a burst of new issues) is shared among the
# pollers, as Lambda's pollers share it, rather than taken whole into one sequential batch.
LOCAL_MAX_BATCH_SIZE = 100
# SQS hands out at most 10 messages per receive and deletes at most 10 per request.
SQS_BATCH_LIMIT = 10
# Pollers per queue at most: a consumer's concurrency, capped for this machine.
LOCAL_MAX_POLLERS = 3


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": os.environ.get("AWS_REGION", "us-east-1"),
            }
            for m in messages
        ]
    }


def scheduled_event(rule: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": rule,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{rule}"],
        "detail": {},
    }


@lru_cache(maxsize=64)
def _queue(client: Any, name: str) -> tuple[str, str]:
    """URL and ARN of queue ``name`` (asked once per client)."""
    url = client.get_queue_url(QueueName=name)["QueueUrl"]
    return url, client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def _receive(client: Any, url: str, consumer: QueueConsumer, wait_seconds: int) -> list[dict[str, Any]]:
    """One batch as Lambda's poller gathers it: up to the batch size (capped locally), for as long
    as the batching window (capped locally) lasts. After a receive that drained the queue the next
    one waits for the window's end and takes what arrived meanwhile, page after page, so a batch
    costs a receive per page of messages plus one, not a receive every few milliseconds while
    events trickle in."""
    received: list[dict[str, Any]] = []
    window = min(consumer.batching_window_seconds, LOCAL_BATCHING_WINDOW_SECONDS)
    size = min(consumer.batch_size, LOCAL_MAX_BATCH_SIZE)
    deadline = time.monotonic() + window
    while len(received) < size:
        asked = min(size - len(received), SQS_BATCH_LIMIT)
        got = client.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=asked,
            WaitTimeSeconds=wait_seconds if not received else 0,
            AttributeNames=["All"],
        ).get("Messages", [])
        received += got
        if not received:
            break
        if len(got) < asked:  # nothing more waiting now: gather what arrives until the window ends
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(left)
        # a full page: more are waiting, taken at once up to the batch size
    return received


@lru_cache(maxsize=1)
def _asking_client() -> Any:
    return boto3.client("sqs")


_DEPTHS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


def queued_messages(queue: str, client: Any = None) -> int:
    """Messages of queue ``queue`` (logical id) waiting, delayed or in flight: 0 once its consumer
    has finished with everything sent so far. Not metered: the asking is the caller's, not the code's."""
    client = client or _asking_client()
    with unmetered():
        url, _ = _queue(client, queue)
        found = client.get_queue_attributes(QueueUrl=url, AttributeNames=_DEPTHS)["Attributes"]
    return sum(int(found.get(name, 0)) for name in _DEPTHS)


def drain_once(consumer: QueueConsumer, invoke: Invoke, wait_seconds: int = 0, client: Any = None) -> int:
    """Receive one batch for ``consumer`` and invoke its function; returns the number of messages.
    A failed invocation deletes nothing: SQS delivers the batch again after its visibility timeout."""
    client = client or boto3.client("sqs")
    url, arn = _queue(client, consumer.queue)
    received = _receive(client, url, consumer, wait_seconds)
    if not received:
        return 0
    try:
        with caused_by(m["MessageId"] for m in received):  # counts for the meters that sent them
            result = invoke(consumer.function, sqs_event(received, arn)) or {}
    except InvocationFailed:
        return len(received)
    failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
    done = [m for m in received if m["MessageId"] not in failed]
    for start in range(0, len(done), SQS_BATCH_LIMIT):
        client.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(done[start : start + SQS_BATCH_LIMIT])
            ],
        )
    return len(received)


def pollers(consumer: QueueConsumer) -> int:
    """How many batches of ``consumer``'s queue are in flight at once: its concurrency, capped."""
    return min(consumer.max_concurrency, LOCAL_MAX_POLLERS)


class Background:
    """Threads for every queue consumer and schedule of the template, stopped together."""

    def __init__(
        self, invoke: Invoke, schedule_seconds: float | None = None, only_queues: frozenset[str] | None = None
    ) -> None:
        """``only_queues``: poll just these queues and fire no schedule (tests drive the rest)."""
        self.invoke = invoke
        self.only_queues = only_queues
        self.stop_event = threading.Event()
        self.schedule_seconds = schedule_seconds
        self.threads: list[threading.Thread] = []

    def _poll(self, consumer: QueueConsumer) -> None:
        client = boto3.client("sqs")  # one per thread: creating a client costs more than a poll
        with unmetered():
            self._poll_with(client, consumer)

    def _poll_with(self, client: Any, consumer: QueueConsumer) -> None:
        while not self.stop_event.is_set():
            try:
                if drain_once(consumer, self.invoke, client=client):
                    continue
            except Exception as error:  # keep polling: a failing batch is retried by SQS
                print(f"[worker {consumer.function}] {json.dumps(str(error))}", flush=True)
            self.stop_event.wait(IDLE_POLL_SECONDS)

    def _tick(self, schedule: Schedule) -> None:
        with unmetered():  # no request causes a scheduled invocation: it counts for no meter
            self._tick_with(schedule)

    def _tick_with(self, schedule: Schedule) -> None:
        interval = self.schedule_seconds or schedule.rate_seconds
        while not self.stop_event.wait(interval):
            try:
                self.invoke(schedule.function, scheduled_event(schedule.function))
            except Exception as error:
                print(f"[schedule {schedule.function}] {json.dumps(str(error))}", flush=True)

    def start(self) -> None:
        consumers = [c for c in queue_consumers() if self.only_queues is None or c.queue in self.only_queues]
        ticks = schedules() if self.only_queues is None else []
        polling = [c for c in consumers for _ in range(pollers(c))]
        targets = [(self._poll, c) for c in polling] + [(self._tick, s) for s in ticks]
        for target, arg in targets:
            thread = threading.Thread(target=target, args=(arg,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        """Stop polling and firing, once the batches in flight are done (an invocation ends on its
        own or at its function's timeout, which kills its environment): a worker left running would
        meet stopped servers, and write its output after the caller's."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join()
