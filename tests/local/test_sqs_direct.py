"""Plain ``SendMessage``, ``ReceiveMessage`` and ``DeleteMessageBatch`` requests are served by moto's
SQS backend without moto's web framework, with moto's answers; every other request is left to moto,
which answers or refuses it as it does."""

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

from local.moto_server import start_process
from local.sqs_direct import DirectSqs


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


def test_receives_answer_as_moto_with_the_attributes_asked(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="received", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    sent = [sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")["MessageId"] for i in range(3)]
    plain = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in plain] == [(i, f"m{n}") for n, i in enumerate(sent)]
    assert all("Attributes" not in m and len(m["ReceiptHandle"]) == 185 for m in plain)
    [first] = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], WaitTimeSeconds=0)["Messages"]
    assert sorted(first["Attributes"]) == [
        "ApproximateFirstReceiveTimestamp",
        "ApproximateReceiveCount",
        "SenderId",
        "SentTimestamp",
    ]
    assert first["Attributes"]["ApproximateReceiveCount"] == "2"  # received a second time
    [named] = sqs.receive_message(
        QueueUrl=url, MessageSystemAttributeNames=["SentTimestamp", "MessageGroupId"], WaitTimeSeconds=0
    )["Messages"]
    assert list(named["Attributes"]) == ["SentTimestamp"]  # a standard queue's message has no group
    with pytest.raises(ClientError) as too_many:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert too_many.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "MaxNumberOfMessages is invalid" in too_many.value.response["Error"]["Message"]


def test_a_received_message_is_hidden_for_its_visibility_timeout(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="hidden")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="once")
    assert len(sqs.receive_message(QueueUrl=url, VisibilityTimeout=60, WaitTimeSeconds=0)["Messages"]) == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)


def test_batch_deletes_answer_as_moto_and_honour_every_handle_a_message_had(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="deleted", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]
    old, new = (
        first[0]["ReceiptHandle"],
        again[1]["ReceiptHandle"],
    )  # "a" by its first handle, "b" by its new one
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": old},
            {"Id": "b", "ReceiptHandle": new},
            {"Id": "x", "ReceiptHandle": "no"},
        ],
    )
    assert deleted["Successful"] == [{"Id": "a"}, {"Id": "b"}]
    assert deleted["Failed"] == [
        {
            "Id": "x",
            "SenderFault": True,
            "Code": "ReceiptHandleIsInvalid",
            "Message": 'The input receipt handle "no" is not a valid receipt handle.',
        }
    ]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    again_deleted = sqs.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": "a", "ReceiptHandle": first[0]["ReceiptHandle"]}]
    )
    assert again_deleted["Successful"] == [{"Id": "a"}]  # a handle already deleted is accepted, as by SQS
    with pytest.raises(ClientError) as empty:
        sqs.delete_message_batch(QueueUrl=url, Entries=[])
    assert empty.value.response["Error"]["Code"] == "AWS.SimpleQueueService.EmptyBatchRequest"


def _environ(params: dict[str, Any], target: str = "AmazonSQS.SendMessage") -> dict[str, Any]:
    body = json.dumps(params).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "HTTP_HOST": "127.0.0.1:5000",
        "HTTP_X_AMZ_TARGET": target,
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20261128/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host, Signature=0",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }


def test_only_plain_requests_bypass_moto_s_framework() -> None:
    """Whatever is not a plain send, receive or batch delete reaches moto's app with its body intact."""
    reached: list[dict[str, Any]] = []

    def moto_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        reached.append(json.loads(environ["wsgi.input"].read()))
        start_response("200 OK", [])
        return [b"{}"]

    statuses: list[str] = []
    app = DirectSqs(moto_app)
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
        reached.clear()
        receive, delete = "AmazonSQS.ReceiveMessage", "AmazonSQS.DeleteMessageBatch"
        url = plain["QueueUrl"]
        [answer] = app(_environ({"QueueUrl": url, "WaitTimeSeconds": 0}, receive), lambda *_: None)
        [message] = json.loads(answer)["Messages"]
        entries = [{"Id": "0", "ReceiptHandle": message["ReceiptHandle"]}]
        [answer] = app(_environ({"QueueUrl": url, "Entries": entries}, delete), lambda *_: None)
        assert (json.loads(answer), queue._messages, reached) == (
            {"Successful": [{"Id": "0"}], "Failed": []},
            [],
            [],
        )
        left_to_moto = [
            ({"QueueUrl": url, "WaitTimeSeconds": 5}, receive),  # a long poll
            ({"QueueUrl": url, "WaitTimeSeconds": 0, "MessageAttributeNames": ["All"]}, receive),
            ({"QueueUrl": url, "WaitTimeSeconds": 0, "AttributeNames": "All"}, receive),
            ({"QueueUrl": url, "MaxNumberOfMessages": 11}, receive),
            ({"QueueUrl": url, "Entries": []}, delete),
            ({"QueueUrl": url, "Entries": entries * 2}, delete),  # the same handle twice
        ]
        for params, target in left_to_moto:
            app(_environ(params, target), lambda *_: None)
        assert reached == [params for params, _ in left_to_moto]
