"""A plain ``SendMessage`` is queued by moto's SQS backend without moto's web framework, with moto's
answer; every other send is left to moto, which answers or refuses it as it does."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

from local.moto_sends import DirectSends
from local.moto_server import start_process


@pytest.fixture(scope="module")
def sqs() -> Iterator[Any]:
    """A client of a moto server of its own (the one the local system runs)."""
    process: subprocess.Popen[bytes]
    process, url = start_process()
    try:
        yield boto3.client(
            "sqs",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_plain_send_is_queued_and_answered_as_moto_answers(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello")  # boto3 checks the body's MD5
    assert sent["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert sent["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.0"
    assert sent["ResponseMetadata"]["RequestId"]
    [received] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert (received["MessageId"], received["Body"]) == (sent["MessageId"], "hello")


def test_a_delayed_send_is_held_until_its_time(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="delayed")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    depth = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (depth["ApproximateNumberOfMessages"], depth["ApproximateNumberOfMessagesDelayed"]) == ("0", "1")


def test_sends_with_attributes_or_to_fifo_queues_get_moto_s_own_answer(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="attributed")["QueueUrl"]
    sent = sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}}
    )
    assert sent["MD5OfMessageAttributes"]
    [received] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert received["MessageAttributes"]["k"]["StringValue"] == "v"
    fifo = sqs.create_queue(QueueName="ordered.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    ordered = sqs.send_message(QueueUrl=fifo, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d")
    assert ordered["SequenceNumber"]
    deduplicating = sqs.create_queue(
        QueueName="same.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=deduplicating, MessageBody="once", MessageGroupId="g")
    assert len(sqs.receive_message(QueueUrl=deduplicating, MaxNumberOfMessages=10)["Messages"]) == 1


def test_refused_sends_get_moto_s_errors_and_queue_nothing(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="refusing")["QueueUrl"]
    with pytest.raises(ClientError) as too_late:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert too_late.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "DelaySeconds must be >= 0 and <= 900" in too_late.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as missing:
        sqs.send_message(QueueUrl=url.replace("refusing", "missing"), MessageBody="x")
    assert missing.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def _environ(params: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(params).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "HTTP_HOST": "127.0.0.1:5000",
        "HTTP_X_AMZ_TARGET": "AmazonSQS.SendMessage",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20261128/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host, Signature=0",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }


def test_only_plain_sends_bypass_moto_s_framework() -> None:
    """Whatever is not a plain send reaches moto's app with its body intact."""
    reached: list[dict[str, Any]] = []

    def moto_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        reached.append(json.loads(environ["wsgi.input"].read()))
        start_response("200 OK", [])
        return [b"{}"]

    statuses: list[str] = []
    app = DirectSends(moto_app)
    with mock_aws():
        backend = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        queue = backend.create_queue("direct")
        plain = {"QueueUrl": "http://127.0.0.1:5000/123456789012/direct", "MessageBody": "hello"}
        [answer] = app(_environ(plain), lambda status, headers: statuses.append(status))
        assert (statuses, reached) == (["200 OK"], [])
        assert json.loads(answer)["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
        assert [m.body for m in queue._messages] == ["hello"]
        attributed = {**plain, "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}
        missing = {**plain, "QueueUrl": "missing"}
        for params in (attributed, missing):
            app(_environ(params), lambda status, headers: None)
        assert reached == [attributed, missing]
        assert len(queue._messages) == 1
