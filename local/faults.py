"""DynamoDB faults on demand, injected on the wire between the code and the engine.

Handlers may run in other processes than the test that provokes them, so faults are not patched
into Python: a WSGI middleware in front of the DynamoDB endpoint answers a seeded fraction of
requests with DynamoDB's own error responses (status code and JSON body), or lets a batch request
through only in part and reports the rest as ``UnprocessedItems`` / ``UnprocessedKeys``, as
DynamoDB does under load. Tests arm and disarm it over HTTP (``POST``/``DELETE /__faults__``).

``stop_after`` N lets the next N DynamoDB requests through and refuses every one after them (an
error no client retries), as if the process making them had died there: a test can stop a piece
of work after each of its requests in turn (the answers report how many passed). Given
``operations``, only requests of those operations are counted and refused (a fault of one kind of
request: every other request passes).

The moto server carries the middleware itself; in front of DynamoDB Local it runs as a forwarding
proxy: ``python -m local.faults --target URL --port N``.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import math
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import requests

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
CONTROL_PATH = "/__faults__"
_PREFIX = "com.amazonaws.dynamodb.v20120810#"
# DynamoDB's answers (status, __type, message), as the service sends them.
ERRORS: dict[str, tuple[int, str, str]] = {
    "ProvisionedThroughputExceededException": (
        400,
        _PREFIX + "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    ),
    "ThrottlingException": (
        400,
        "com.amazon.coral.availability#ThrottlingException",
        "Rate of requests exceeds the allowed throughput.",
    ),
    "RequestLimitExceeded": (
        400,
        _PREFIX + "RequestLimitExceeded",
        "Throughput exceeds the current throughput limit for your account. "
        "Please contact AWS Support at https://aws.amazon.com/support request a limit increase",
    ),
    "InternalServerError": (500, _PREFIX + "InternalServerError", "Internal server error"),
}
# What every request gets once ``stop_after`` requests passed: an error botocore does not retry.
STOPPED = "Stopped"
STOPPED_ANSWER = (400, _PREFIX + "ValidationException", "Injected: the process stopped before this request")
TRANSACTION_CONFLICT = "TransactionConflict"
UNPROCESSED = "Unprocessed"
ALL_FAULTS = (*ERRORS, TRANSACTION_CONFLICT, UNPROCESSED)
_TRANSACTIONS = {"TransactWriteItems", "TransactGetItems"}
_BATCHES = {"BatchWriteItem": ("UnprocessedItems", None), "BatchGetItem": ("UnprocessedKeys", "Keys")}


def _json(start_response: StartResponse, status: int, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}.get(status, "")
    headers = [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(data)))]
    start_response(f"{status} {reason}", headers)
    return [data]


class FaultInjector:
    """WSGI middleware failing a seeded fraction of DynamoDB requests (others pass untouched)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.rate = 0.0
        self.faults: tuple[str, ...] = ()
        self.random = random.Random(0)
        self.injected: Counter[str] = Counter()
        self.stop_after: int | None = None
        self.operations: frozenset[str] = frozenset()  # empty: every operation
        self.passed = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CONTROL_PATH:
            return self._control(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_"):
            return self.app(environ, start_response)
        if self.stop_after is not None and (
            not self.operations or target.partition(".")[2] in self.operations
        ):
            with self.lock:
                stopped = self.passed >= self.stop_after
                self.passed += 0 if stopped else 1
                self.injected[STOPPED] += 1 if stopped else 0
            if stopped:
                status, kind, message = STOPPED_ANSWER
                return _json(start_response, status, {"__type": kind, "message": message})
        if not self.rate:
            return self.app(environ, start_response)
        operation = target.partition(".")[2]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        request = json.loads(body or b"{}")
        fault = self._draw(operation, request)
        if fault in ERRORS:
            status, kind, message = ERRORS[fault]
            return _json(start_response, status, {"__type": kind, "message": message})
        if fault == TRANSACTION_CONFLICT:
            return self._conflict(start_response, request)
        if fault == UNPROCESSED:
            return self._partial(environ, start_response, operation, request)
        return self._forward(environ, start_response, body)

    def _draw(self, operation: str, request: dict[str, Any]) -> str | None:
        possible = [f for f in self.faults if f in ERRORS]
        if operation in _TRANSACTIONS and TRANSACTION_CONFLICT in self.faults:
            possible.append(TRANSACTION_CONFLICT)
        if operation in _BATCHES and UNPROCESSED in self.faults and _batch_size(operation, request) > 1:
            possible.append(UNPROCESSED)
        with self.lock:
            if not possible or self.random.random() >= self.rate:
                return None
            fault = self.random.choice(possible)
            self.injected[fault] += 1
            return fault

    def _conflict(self, start_response: StartResponse, request: dict[str, Any]) -> list[bytes]:
        items = request.get("TransactItems", [])
        with self.lock:
            conflicted = self.random.randrange(len(items))
        reasons: list[dict[str, str]] = [{"Code": "None"} for _ in items]
        reasons[conflicted] = {"Code": TRANSACTION_CONFLICT, "Message": "Transaction is ongoing for the item"}
        codes = ", ".join(r["Code"] for r in reasons)
        return _json(
            start_response,
            400,
            {
                "__type": _PREFIX + "TransactionCanceledException",
                "Message": "Transaction cancelled, please refer cancellation reasons for specific "
                f"reasons [{codes}]",
                "CancellationReasons": reasons,
            },
        )

    def _partial(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        operation: str,
        request: dict[str, Any],
    ) -> list[bytes]:
        """Let the first half of each table's requests through; report the rest as unprocessed."""
        field, nested = _BATCHES[operation]
        passed, left = {}, {}
        for table, entry in request["RequestItems"].items():
            entries = entry[nested] if nested else entry
            keep = math.ceil(len(entries) / 2)
            if nested:
                passed[table] = {**entry, nested: entries[:keep]}
                rest = {**entry, nested: entries[keep:]}
            else:
                passed[table], rest = entries[:keep], entries[keep:]
            if entries[keep:]:
                left[table] = rest
        status_line: list[str] = []
        forwarded = {**request, "RequestItems": passed}
        answer = b"".join(
            self._forward(
                environ, lambda status, headers: status_line.append(status), json.dumps(forwarded).encode()
            )
        )
        if not status_line[0].startswith("200"):
            return _json(start_response, int(status_line[0].split()[0]), json.loads(answer))
        parsed = json.loads(answer)
        parsed[field] = {**parsed.get(field, {}), **left}
        return _json(start_response, 200, parsed)

    def _forward(
        self, environ: dict[str, Any], start_response: StartResponse, body: bytes
    ) -> Iterable[bytes]:
        environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        return self.app(environ, start_response)

    def _control(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        with self.lock:
            if method == "POST":
                size = int(environ.get("CONTENT_LENGTH") or 0)
                settings = json.loads(environ["wsgi.input"].read(size) or b"{}")
                self.random = random.Random(settings["seed"])
                self.rate = float(settings["rate"])
                self.faults = tuple(settings.get("faults") or ALL_FAULTS)
                self.stop_after = settings.get("stop_after")
                self.operations = frozenset(settings.get("operations") or ())
                self.passed = 0
                self.injected = Counter()
            elif method == "DELETE":
                self.rate = 0.0
                self.stop_after = None
                self.operations = frozenset()
            answer = {"rate": self.rate, "injected": dict(self.injected), "passed": self.passed}
            return _json(start_response, 200, answer)


def _batch_size(operation: str, request: dict[str, Any]) -> int:
    _, nested = _BATCHES[operation]
    tables = request.get("RequestItems", {}).values()
    return sum(len(entry[nested] if nested else entry) for entry in tables)


class Forwarder:
    """WSGI app sending each request on to ``target`` unchanged (the proxy's far end)."""

    _HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.local = threading.local()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and key != "HTTP_HOST"
        }
        headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        path = environ.get("PATH_INFO", "/") + (
            f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
        )
        answer = session.request(environ["REQUEST_METHOD"], self.target + path, headers=headers, data=body)
        kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in self._HOP_BY_HOP]
        start_response(
            f"{answer.status_code} {answer.reason}", [*kept, ("Content-Length", str(len(answer.content)))]
        )
        return [answer.content]


def arm(url: str, seed: int, rate: float, faults: Iterable[str] = ALL_FAULTS) -> None:
    """Make ``rate`` of the DynamoDB requests through ``url`` fail, drawn from ``seed``."""
    requests.post(url + CONTROL_PATH, json={"seed": seed, "rate": rate, "faults": list(faults)}, timeout=5)


def stop_after(url: str, requests_passing: int, operations: Iterable[str] = ()) -> None:
    """Let ``requests_passing`` DynamoDB requests through ``url``, then refuse all (``disarm`` ends
    it); given ``operations`` (``PutItem``, ...), only requests of those are counted and refused."""
    body = {"seed": 0, "rate": 0, "stop_after": requests_passing, "operations": list(operations)}
    requests.post(url + CONTROL_PATH, json=body, timeout=5)


def passed(url: str) -> int:
    """How many DynamoDB requests passed since ``stop_after`` armed the stop."""
    return int(requests.get(url + CONTROL_PATH, timeout=5).json()["passed"])


def disarm(url: str) -> dict[str, int]:
    """Stop injecting; returns how many faults of each kind were injected since arming."""
    return requests.delete(url + CONTROL_PATH, timeout=5).json()["injected"]


def start_proxy(target: str) -> tuple[subprocess.Popen[bytes], str]:
    """The injecting proxy in front of ``target``, in its own process; returns it and its URL."""
    from local.moto_server import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.faults", "--target", target, "--port", str(port)]
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + CONTROL_PATH, timeout=1)
            return process, url
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"fault proxy at {url} did not start")


def main() -> None:
    from werkzeug.serving import make_server

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", args.port, FaultInjector(Forwarder(args.target)), threaded=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
