"""Benchmark the first request a warmed Lambda environment serves, against its second.

``make run`` warms environments (their handler module is imported before any request), as
provisioned concurrency does on Lambda; what the first request still pays on top of a warm one is
what the code defers to first use: botocore sessions and clients (each session reads and parses the
service's model files), PynamoDB connections, caches. For each measured function this script warms
a fresh environment, waits until it has imported its handler, then times its first and its second
request (HTTP through the local API; the event processor's batches are invoked as its poller does),
over ``ROUNDS`` fresh environments.

The environments are the local system's own, unchanged: a ``sitecustomize`` module put on their
``PYTHONPATH`` counts the botocore sessions, clients and JSON files (service models, endpoints) each
environment creates, during its import (the init phase) and during its first request, and writes
them when the environment exits. Prints one JSON object on its last line.
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import requests
from sentry_sdk.envelope import Envelope

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local.background import sqs_event
from local.system import LocalSystem, local_system

ROUNDS = 3
READY_TIMEOUT_SECONDS = 120
COUNTS_VARIABLE = "FIRST_REQUEST_COUNTS_DIR"
# Counts what each Lambda environment creates; written as <pid>.json when it exits.
SITECUSTOMIZE = """
import atexit, json, os, sys, time
import botocore.loaders, botocore.session

_created = []


def _counting(kind, original):
    def wrapper(*args, **kwargs):
        _created.append((kind, time.time()))
        return original(*args, **kwargs)
    return wrapper


botocore.session.Session.__init__ = _counting("sessions", botocore.session.Session.__init__)
botocore.session.Session.create_client = _counting("clients", botocore.session.Session.create_client)
botocore.loaders.JSONFileLoader.load_file = _counting("json_files", botocore.loaders.JSONFileLoader.load_file)


def _write():
    if sys.argv[0].endswith("lambda_runtime.py"):
        path = os.path.join(os.environ["COUNTS_VARIABLE"], f"{os.getpid()}.json")
        with open(path, "w") as out:
            json.dump({"function": sys.argv[3], "created": _created}, out)


atexit.register(_write)
""".replace("COUNTS_VARIABLE", COUNTS_VARIABLE)


def _envelope() -> bytes:
    envelope = Envelope(headers={"event_id": uuid.uuid4().hex})
    envelope.add_event(
        {
            "event_id": uuid.uuid4().hex,
            "level": "error",
            "platform": "python",
            "exception": {"values": [{"type": "ValueError", "value": f"first request {uuid.uuid4().hex}"}]},
        }
    )
    return gzip.compress(envelope.serialize())


class Requests:
    """The measured requests, one per function, against the demo organization."""

    def __init__(self, system: LocalSystem) -> None:
        from bench.support.demo import new_groups
        from shared.accounts.organizations import find_organization
        from shared.storage.accounts import Project

        self.system = system
        demo = system.demo
        self.project_path = f"/api/0/projects/{demo.org}/{demo.project}/"
        project = Project.get(*Project.key(find_organization(demo.org).id, demo.project))
        self.group = new_groups(project, 1)[0]
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {demo.token}"
        key, project_id = demo.dsn.split("//", 1)[1].split("@", 1)[0], demo.dsn.rsplit("/", 1)[1]
        self.envelope_url = f"{system.base_url}/api/{project_id}/envelope/"
        self.envelope_headers = {
            "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7, sentry_client=bench/1.0",
            "Content-Encoding": "gzip",
            "Content-Type": "application/x-sentry-envelope",
        }
        sqs = boto3.client("sqs", endpoint_url=system.endpoint)
        url = sqs.get_queue_url(QueueName="EventsQueue")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sqs, self.queue_url, self.queue_arn = sqs, url, arn
        self.bookmarked = False

    def _check(self, response: requests.Response) -> None:
        assert response.status_code == 200, f"{response.request.url}: {response.status_code} {response.text}"

    def get_project(self) -> None:
        self._check(self.http.get(self.system.base_url + self.project_path))

    def list_issues(self) -> None:
        self._check(self.http.get(f"{self.system.base_url}{self.project_path}issues/?query="))

    def put_issue(self) -> None:
        self.bookmarked = not self.bookmarked
        url = f"{self.system.base_url}/api/0/issues/{self.group}/"
        self._check(self.http.put(url, json={"isBookmarked": self.bookmarked}))

    def post_envelope(self) -> None:
        self._check(self.http.post(self.envelope_url, data=_envelope(), headers=self.envelope_headers))

    def process_batch(self) -> None:
        """A batch of one event (the oldest envelope's), as the queue's poller hands it over."""
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=5, AttributeNames=["All"]
        ).get("Messages", [])
        assert received, "the envelope's event never reached the events queue"
        result = self.system.service.invoke("EventProcessorFunction", sqs_event(received, self.queue_arn))
        assert not (result or {}).get("batchItemFailures"), result
        self.sqs.delete_message_batch(
            QueueUrl=self.queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)],
        )


def _fresh_environment(system: LocalSystem, function: str) -> int:
    """Retire ``function``'s environments, start one, wait until it has imported its handler, and
    return its process id."""
    old = system.service.pools.pop(function, None)
    for environment in old.close() if old else []:
        environment.wait()
    pool = system.service.pool(function)
    pool.warm(1)
    (environment,) = pool.idle
    assert environment.connection.poll(READY_TIMEOUT_SECONDS), f"{function}: no environment ready"
    return environment.process.pid


def _timed(call: Callable[[], None]) -> tuple[float, float]:
    """When ``call`` started (epoch seconds) and how long it took (ms)."""
    started, start = time.time(), time.perf_counter()
    call()
    return started, (time.perf_counter() - start) * 1000


def _created(counts_dir: Path, requests_at: dict[int, tuple[float, float]]) -> dict[str, dict[str, float]]:
    """Per function, the median count of sessions, clients and JSON files an environment created
    during its import and during its first request (``requests_at``: pid → when its first and its
    second request started)."""
    found: dict[str, dict[str, list[int]]] = {}
    for path in counts_dir.glob("*.json"):
        pid = int(path.stem)
        if pid not in requests_at:
            continue
        first_at, second_at = requests_at[pid]
        record = json.loads(path.read_text(encoding="utf-8"))
        tally = found.setdefault(record["function"], {})
        for kind in ("sessions", "clients", "json_files"):
            times = [t for k, t in record["created"] if k == kind]
            tally.setdefault(f"init_{kind}", []).append(sum(1 for t in times if t < first_at))
            tally.setdefault(f"first_request_{kind}", []).append(
                sum(1 for t in times if first_at <= t < second_at)
            )
    return {
        function: {name: statistics.median(values) for name, values in tally.items()}
        for function, tally in found.items()
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="first-request-") as scratch:
        counts_dir = Path(scratch, "counts")
        counts_dir.mkdir()
        Path(scratch, "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        os.environ["PYTHONPATH"] = scratch
        os.environ[COUNTS_VARIABLE] = str(counts_dir)
        timings: dict[str, dict[str, list[float]]] = {}
        requests_at: dict[int, tuple[float, float]] = {}
        with local_system() as system:
            measured = Requests(system)
            cases: dict[str, tuple[str, Callable[[], None]]] = {
                "get_project": ("ProjectApiFunction", measured.get_project),
                "issue_list": ("IssueApiFunction", measured.list_issues),
                "issue_put": ("IssuePutFunction", measured.put_issue),
                "envelope_post": ("IngestFunction", measured.post_envelope),
                "event_batch": ("EventProcessorFunction", measured.process_batch),
            }
            for _ in range(ROUNDS):
                for name, (function, call) in cases.items():
                    pid = _fresh_environment(system, function)
                    first_at, first = _timed(call)
                    second_at, second = _timed(call)
                    requests_at[pid] = (first_at, second_at)
                    timings.setdefault(name, {"first": [], "second": []})
                    timings[name]["first"].append(first)
                    timings[name]["second"].append(second)
        # The system has stopped: every environment has exited and written its counts.
        del os.environ["PYTHONPATH"]
        created = _created(counts_dir, requests_at)
    figures: dict[str, Any] = {}
    for name, runs in timings.items():
        first, second = statistics.median(runs["first"]), statistics.median(runs["second"])
        function = cases[name][0]
        print(
            f"{name} ({function}): first request {first:.0f} ms, second {second:.0f} ms "
            f"(runs {[round(t) for t in runs['first']]} / {[round(t) for t in runs['second']]}); "
            f"created {created.get(function)}"
        )
        figures[f"{name}_first_ms"] = round(first, 1)
        figures[f"{name}_second_ms"] = round(second, 1)
        for kind, count in created.get(function, {}).items():
            figures[f"{name}_{kind}"] = count
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
