"""SQS's three busiest actions handed to moto's SQS backend without moto's web framework.

Every event accepted at the edge is one ``SendMessage``; the event processor's pollers take events
out with ``ReceiveMessage`` and ``DeleteMessageBatch``. In moto's server each request passes Flask,
moto's request parsing, its action lookup and its response serializer (which walks the response's
shape value by value: most of a receive of ten 8 KB events) around the backend's few lines. Here a
plain request of those three actions goes to the backend directly and is answered as moto answers
it (the same fields, the same order, the same request id header):

- all three: the JSON protocol, a standard queue, Signature V4 naming account and region;
- ``SendMessage``: only ``QueueUrl``, ``MessageBody`` and ``DelaySeconds``;
- ``ReceiveMessage``: no wait (asked or the queue's default), 1 to 10 messages, system attributes
  by name, an optional visibility timeout within SQS's limit, no message attributes asked;
- ``DeleteMessageBatch``: 1 to 10 entries of ``Id`` and ``ReceiptHandle``, no handle twice.

Anything else (message attributes, a FIFO queue, an unknown queue, a long poll, a request the
backend refuses, another way of naming the account or region) goes to moto unchanged, which gives
its own answer or error."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from moto.core.responses import BaseResponse
from moto.iam.models import get_account_id_from
from moto.sqs.constants import MAXIMUM_VISIBILITY_TIMEOUT
from moto.sqs.models import Message, Queue, SQSBackend, sqs_backends
from moto.utilities.aws_headers import gen_amzn_requestid_long

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Answer = dict[str, Any] | None  # moto's answer, or None to leave the request to moto
NO_ACCESS_KEY = "AKIAEXAMPLE"  # what moto takes when the signature names no access key it knows
BATCH_LIMIT = 10
# The system attributes a receive can ask for, in the order moto answers them.
SYSTEM_ATTRIBUTES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "SequenceNumber",
)


def _account_and_region(environ: dict[str, Any]) -> tuple[str, str] | None:
    """The account and region moto would serve the request from, when its signature names them
    (moto's rules: the region of the credential scope, the account of the access key); ``None``
    when moto would look elsewhere (the host, the user agent, an account override)."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    overridden = "MOTO_ACCOUNT_ID" in os.environ or "HTTP_X_MOTO_ACCOUNT_ID" in environ
    host = f"{environ.get('HTTP_HOST', '')}{environ.get('PATH_INFO', '')}"
    if (
        overridden
        or "AWS4" not in authorization
        or environ.get("QUERY_STRING")
        or BaseResponse.region_regex.search(host)
        or BaseResponse.region_from_useragent_regex.search(environ.get("HTTP_USER_AGENT", ""))
    ):
        return None
    match = BaseResponse.access_key_regex.search(authorization)
    access_key = match.group(1) if match else NO_ACCESS_KEY
    return get_account_id_from(access_key), authorization.split(",")[0].split("/")[2]


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(name, str) for name in value)


def _send(backend: SQSBackend, queue: Queue, params: dict[str, Any]) -> Answer:
    text, delay = params.get("MessageBody"), params.get("DelaySeconds")
    if not isinstance(text, str) or (delay is not None and not _integer(delay)):
        return None
    message = backend.send_message(queue.name, text, delay_seconds=delay)
    return {"MD5OfMessageBody": message.body_md5, "MessageId": message.id}


def _attributes(message: Message, names: list[str]) -> dict[str, Any]:
    """The system attributes ``names``, as moto gives them: the first four always, the others when
    the message has them."""
    given = {
        "SenderId": message.sender_id,
        "SentTimestamp": str(message.sent_timestamp),
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if message.deduplication_id is not None:
        given["MessageDeduplicationId"] = message.deduplication_id
    if message.group_id is not None:
        given["MessageGroupId"] = message.group_id
    if message.system_attributes and message.system_attributes.get("AWSTraceHeader"):
        given["AWSTraceHeader"] = message.system_attributes["AWSTraceHeader"].get("StringValue")
    if message.sequence_number is not None:
        given["SequenceNumber"] = message.sequence_number
    return {name: given[name] for name in names if name in given}


def _receive(backend: SQSBackend, queue: Queue, params: dict[str, Any]) -> Answer:
    count = params.get("MaxNumberOfMessages", 1)
    wait = params.get("WaitTimeSeconds", int(queue.receive_message_wait_time_seconds))
    visibility = params.get("VisibilityTimeout", int(queue.visibility_timeout))
    lists = [params.get("AttributeNames", []), params.get("MessageSystemAttributeNames", [])]
    if not (
        _integer(count)
        and 1 <= count <= BATCH_LIMIT
        and _integer(wait)
        and wait == 0
        and _integer(visibility)
        and 0 <= visibility <= MAXIMUM_VISIBILITY_TIMEOUT
        and all(_names(names) for names in lists)
    ):
        return None
    asked = {*lists[0], *lists[1]}
    names = [name for name in SYSTEM_ATTRIBUTES if "All" in asked or name in asked]
    received = []
    for message in backend.receive_message(queue.name, count, 0, visibility, []):
        answer: dict[str, Any] = {
            "MessageId": message.id,
            "ReceiptHandle": message.receipt_handle,
            "MD5OfBody": message.body_md5,
            "Body": message.body,
        }
        if names:
            answer["Attributes"] = _attributes(message, names)
        received.append(answer)
    return {"Messages": received} if received else {}


def _delete_batch(backend: SQSBackend, queue: Queue, params: dict[str, Any]) -> Answer:
    entries = params.get("Entries")
    if not (
        isinstance(entries, list)
        and 1 <= len(entries) <= BATCH_LIMIT
        and all(isinstance(e, dict) and e.keys() == {"Id", "ReceiptHandle"} for e in entries)
        and all(isinstance(e["Id"], str) and isinstance(e["ReceiptHandle"], str) for e in entries)
        and len({e["ReceiptHandle"] for e in entries}) == len(entries)
    ):
        return None
    deleted, failed = backend.delete_message_batch(queue.name, entries)
    return {"Successful": [{"Id": entry} for entry in deleted], "Failed": failed}


Action = Callable[[SQSBackend, Queue, dict[str, Any]], Answer]
# each action with the parameters a plain request of it may name
ACTIONS: dict[str, tuple[Action, frozenset[str]]] = {
    "AmazonSQS.SendMessage": (_send, frozenset({"QueueUrl", "MessageBody", "DelaySeconds"})),
    "AmazonSQS.ReceiveMessage": (
        _receive,
        frozenset(
            {
                "QueueUrl",
                "MaxNumberOfMessages",
                "WaitTimeSeconds",
                "VisibilityTimeout",
                "AttributeNames",
                "MessageSystemAttributeNames",
            }
        ),
    ),
    "AmazonSQS.DeleteMessageBatch": (_delete_batch, frozenset({"QueueUrl", "Entries"})),
}


def _answer(target: str, environ: dict[str, Any], body: bytes) -> Answer:
    """moto's answer to a plain request of ``target``, or ``None`` to leave it to moto."""
    action, allowed = ACTIONS[target]
    try:
        params = json.loads(body)
    except ValueError:
        return None
    if not (
        isinstance(params, dict) and params.keys() <= allowed and isinstance(params.get("QueueUrl"), str)
    ):
        return None
    served = _account_and_region(environ)
    if served is None:
        return None
    account, region = served
    backend = sqs_backends[account][region]
    url = params["QueueUrl"]
    name = url.split("/")[-1] if url.startswith(("http://", "https://")) else url
    try:
        queue = backend.get_queue(name)
        if queue.fifo_queue:
            return None
        return action(backend, queue, params)
    except Exception:  # an unknown queue, a refused request: moto answers with its own error
        return None  # (the backend refuses before it changes anything)


class DirectSqs:
    """WSGI middleware in front of moto's app: plain requests of ``ACTIONS`` are answered here."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target not in ACTIONS:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(body)  # read again by moto, should it answer instead
        answer = _answer(target, environ, body)
        if answer is None:
            return self.app(environ, start_response)
        data = json.dumps(answer).encode()
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/x-amz-json-1.0"),
                ("x-amzn-RequestId", gen_amzn_requestid_long()),
                ("Content-Length", str(len(data))),
                ("Access-Control-Allow-Origin", "*"),
            ],
        )
        return [data]
