"""SQS ``SendMessage`` handed to moto's SQS backend without moto's web framework around it.

Every event accepted at the edge is one ``SendMessage``, the local system's most frequent request.
In moto's server it passes Flask, moto's request parsing, its action lookup and its response
serializer, about two thirds of the request's CPU, around the backend's few lines that queue the
message. Here a plain send (JSON protocol, a standard queue, only ``QueueUrl``, ``MessageBody`` and
``DelaySeconds``, signed with Signature V4) goes to the backend directly and is answered as moto
answers it: ``MessageId`` and ``MD5OfMessageBody`` with a request id. Anything else (message
attributes, a FIFO queue, an unknown queue, a message the backend refuses, another way of naming
the account or region) goes to moto unchanged, which gives its own answer or error."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from moto.core.responses import BaseResponse
from moto.iam.models import get_account_id_from
from moto.sqs.models import sqs_backends
from moto.utilities.aws_headers import gen_amzn_requestid_long

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
TARGET = "AmazonSQS.SendMessage"
PLAIN = frozenset({"QueueUrl", "MessageBody", "DelaySeconds"})
NO_ACCESS_KEY = "AKIAEXAMPLE"  # what moto takes when the signature names no access key it knows


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


def _send(environ: dict[str, Any], body: bytes) -> dict[str, str] | None:
    """Queue a plain send's message and return moto's answer, or ``None`` to leave it to moto."""
    try:
        params = json.loads(body)
    except ValueError:
        return None
    if not (
        isinstance(params, dict) and params.keys() <= PLAIN and {"QueueUrl", "MessageBody"} <= params.keys()
    ):
        return None
    url, text, delay = params["QueueUrl"], params["MessageBody"], params.get("DelaySeconds")
    served = _account_and_region(environ)
    if served is None or not isinstance(url, str) or not isinstance(text, str):
        return None
    if delay is not None and (not isinstance(delay, int) or isinstance(delay, bool)):
        return None
    account, region = served
    backend = sqs_backends[account][region]
    name = url.split("/")[-1] if url.startswith(("http://", "https://")) else url
    try:
        if backend.get_queue(name).fifo_queue:
            return None
        message = backend.send_message(name, text, delay_seconds=delay)
    except Exception:  # an unknown queue, a refused message: moto answers with its own error
        return None  # (the backend refuses before it queues anything)
    return {"MD5OfMessageBody": message.body_md5, "MessageId": message.id}


class DirectSends:
    """WSGI middleware in front of moto's app: plain ``SendMessage`` requests are answered here."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET") != TARGET:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(body)  # read again by moto, should it answer instead
        answer = _send(environ, body)
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
