"""What AWS runs without a request: SQS-triggered functions and scheduled functions.

moto cannot invoke Lambda from SQS or a schedule (that needs Docker), so these threads poll each
queue the template wires to a function and call the same handler with the same SQS batch event
(deleting what it does not report as failed), and fire scheduled functions on their rate."""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

import boto3

from local.api import load_handler
from local.lambda_context import LocalContext
from local.template import QueueConsumer, Schedule, queue_consumers, schedules


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


def _queue_url_for(logical_id: str) -> str:
    client = boto3.client("sqs")
    return client.get_queue_url(QueueName=logical_id)["QueueUrl"]


def drain_once(consumer: QueueConsumer, wait_seconds: int = 1) -> int:
    """Receive one batch for ``consumer`` and run its handler; returns the number of messages."""
    client = boto3.client("sqs")
    url = _queue_url_for(consumer.queue)
    received = client.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=min(consumer.batch_size, 10),
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
    ).get("Messages", [])
    if not received:
        return 0
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    result = load_handler(consumer.handler)(sqs_event(received, arn), LocalContext(consumer.function)) or {}
    failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
    done = [m for m in received if m["MessageId"] not in failed]
    if done:
        client.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
        )
    return len(received)


def run_schedule_once(schedule: Schedule) -> None:
    load_handler(schedule.handler)(scheduled_event(schedule.function), LocalContext(schedule.function))


class Background:
    """Threads for every queue consumer and schedule of the template, stopped together."""

    def __init__(self, schedule_seconds: float | None = None) -> None:
        self.stop_event = threading.Event()
        self.schedule_seconds = schedule_seconds
        self.threads: list[threading.Thread] = []

    def _poll(self, consumer: QueueConsumer) -> None:
        while not self.stop_event.is_set():
            try:
                drain_once(consumer)
            except Exception as error:  # keep polling: a failing batch is retried by SQS
                print(f"[worker {consumer.function}] {json.dumps(str(error))}", flush=True)
                self.stop_event.wait(1)

    def _tick(self, schedule: Schedule) -> None:
        interval = self.schedule_seconds or schedule.rate_seconds
        while not self.stop_event.wait(interval):
            try:
                run_schedule_once(schedule)
            except Exception as error:
                print(f"[schedule {schedule.function}] {json.dumps(str(error))}", flush=True)

    def start(self) -> None:
        targets = [(self._poll, c) for c in queue_consumers()] + [(self._tick, s) for s in schedules()]
        for target, arg in targets:
            thread = threading.Thread(target=target, args=(arg,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=5)
