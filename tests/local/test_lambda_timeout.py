"""A handler that runs past its function's timeout is stopped as Lambda stops it: its environment is
killed, the HTTP API answers 503 as it does for a Lambda timeout, and an SQS batch stays on its queue."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import boto3
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from local.background import drain_once
from local.gateway import HttpApi
from local.lambda_pool import FunctionSpec, InvocationTimedOut, LocalLambda, template_functions
from local.template import QueueConsumer

HANDLER = "tests.local.lambda_handlers.report"
TIMEOUT = 0.5


@pytest.fixture
def service() -> Iterator[LocalLambda]:
    functions = {name: FunctionSpec(name, HANDLER, TIMEOUT) for name in ("Slow", "AuthApiFunction")}
    service = LocalLambda(functions, limit=2)
    yield service
    service.close()


def test_the_template_timeouts_apply() -> None:
    functions = template_functions()
    assert functions["AuthApiFunction"].timeout == 30  # the global Timeout
    assert functions["ReleaseCommitsWorkerFunction"].timeout == 150  # its own


def test_an_event_past_the_timeout_kills_its_environment(service: LocalLambda) -> None:
    first = service.invoke("Slow", {"tag": "warm"})["pid"]
    started = time.monotonic()
    with pytest.raises(InvocationTimedOut, match=r"timed out after 0\.50 seconds"):
        service.invoke("Slow", {"sleep": 5})
    assert time.monotonic() - started < 3  # stopped at the timeout, not when the handler finished
    after = service.invoke("Slow", {"tag": "after"})
    assert after["tag"] == "after" and after["pid"] != first  # a new environment
    assert service.pool("Slow").started == 2


def _request(path: str) -> Request:
    request = Request(EnvironBuilder(method="GET", path=path).get_environ())
    request.environ["RAW_URI"] = path
    return request


def test_the_http_api_answers_a_timeout_503(service: LocalLambda) -> None:
    slow = HttpApi().handle(_request("/api/0/?sleep=5"), service.invoke)
    assert (slow.status_code, json.loads(slow.get_data())) == (503, {"message": "Service Unavailable"})
    quick = HttpApi().handle(_request("/api/0/?sleep=0"), service.invoke)
    assert quick.status_code == 200 and json.loads(quick.get_data())["pid"]


def test_a_timed_out_batch_returns_to_its_queue(service: LocalLambda) -> None:
    sqs = boto3.client("sqs")
    name = f"timeouts-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    try:
        consumer = QueueConsumer("Slow", HANDLER, name, 1)
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"job": 1}))
        assert drain_once(consumer, lambda f, e: service.invoke(f, {**e, "sleep": 5}), client=sqs) == 1
        time.sleep(1.5)  # the visibility timeout: the job is back
        delivered: list[dict] = []

        def complete(function: str, event: dict) -> dict:
            delivered.extend(event["Records"])
            return service.invoke(function, event)

        assert drain_once(consumer, complete, client=sqs) == 1
        [record] = delivered  # the same job, delivered a second time
        assert json.loads(record["body"]) == {"job": 1}
        assert record["attributes"]["ApproximateReceiveCount"] == "2"
        again = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], WaitTimeSeconds=0)
        time.sleep(1.5)
        left = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], WaitTimeSeconds=0)
        assert "Messages" not in again and "Messages" not in left  # deleted once it completed
    finally:
        sqs.delete_queue(QueueUrl=url)
