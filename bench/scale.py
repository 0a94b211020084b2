"""Storm simulation as Lambda runs it: the real ingestion code on moto in-process (``mock_aws``),
simulated time, concurrent batches against the same tables.

Lambda's SQS poller reads the events queue with at least 5 concurrent pollers (more while the
queue backs up, up to the template's ``MaximumConcurrency``); each gathers a batch for up to the
``MaximumBatchingWindowInSeconds``, ``BatchSize`` records or Lambda's 6 MB invocation payload, and
the batches run at the same time. So a window's events are split over ``pollers`` concurrent
batches (``_pollers``), not handed over as full batches one after another.

Scenarios (``SCENARIOS``; rates are simulated):
- ``one_issue``: one issue at 10,000 events/s, users drawn from 100,000;
- ``project_200``: a storm spread over 200 issues of one project at 50,000 events/s;
- ``spread``: 1,000 events/s over 300 issues of 3 projects (ordinary busy traffic);
- ``low_traffic``: 100 events/s over the same 300 issues: batches of about 20;
- ``mixed_day``: 400 events/s over 300 issues whose popularity follows Zipf's law (a few hot
  issues and a long tail, as an ordinary day looks).

moto runs a few hundred requests/s here, so each scenario is *sampled*: in its metered windows
(``Scenario.metered``) up to ``SAMPLED_BATCHES`` of the window's batches run concurrently, one
thread each, through ``store_batch`` under the meter (``bench/capacity_meter.py``) and the
contention model (``bench/contention.py``: requests atomic, a transaction's items held for its
latency, conflicts and refused conditions counted with their units); each stands for
``batches / sampled`` of the window's batches (``Meter.weight``). Every other batch is
fast-forwarded unmetered (``_fast_forward``) into the hourly counts and users, so item sizes grow
as in the full storm, and — half of them before the sampled ones — into the window's ledger
entries, which the sampled batches' Queries then read as an average batch would. Issues exist
before the storm (created unmetered). The first ``EDGE_SAMPLE`` events of each metered window go
through the real ingestion handler (a function URL's 2.0 event, gzip envelope, its log output
measured at the file descriptors).

Dollars per million events, every service that runs (us-east-1 list prices, ``bench/cost.py``):
events reach the ingestion function through its function URL, which the DSNs name (no request
charge; ``total_with_api_gateway`` adds HTTP API's per-request price for SDKs whose DSN names the
API), Lambda (requests, and arm64 GB-seconds at each function's template memory and its
duration estimated here: an invocation's own CPU time, moto's answering of its requests left out,
plus 5 ms per request to DynamoDB or SQS, the event-id claims 10 at a time), SQS (the edge's send
per event; the poller's receives and deletes at 10 messages a call), CloudWatch Logs ingestion of
the log bytes each invocation writes (measured, plus Lambda's own START/END/REPORT lines unless
the function's ``SystemLogLevel`` is WARN), DynamoDB (write units including those of refused
conflicts, read units, and the storage the events add for as long as their items are kept, with
point-in-time recovery). The last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import json
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.capacity_meter import Index, Meter
from bench.contention import Contention
from bench.cost import PRICES
from bench.moto_transactions import item_backups, partition_queries
from local.lambda_context import LocalContext
from local.resources import LOCAL_ENVIRONMENT
from local.template import environment_refs, load_template, queue_consumers, resources

REGION = "us-east-1"
USERS = 100_000
EDGE_SAMPLE = 30  # events of each metered window also sent through the ingestion handler
SAMPLED_BATCHES = 6  # concurrent batches run through the real code in a metered window
MIN_POLLERS = 5  # Lambda's SQS poller starts with five concurrent batches
LIMITS = {"write": 1000, "read": 3000}  # per partition key and second
# Lambda hands an SQS batch over in one invocation payload of at most 6 MB; besides its body, each
# record carries its message id, receipt handle, attributes, body digest and the queue's ARN.
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
SQS_RECORD_BYTES = 700
# An invocation lasts its CPU time (measured per thread, so other work on the machine does not
# stretch it; moto's handling of its requests left out, ``_own_cpu``) plus the answer to each of
# its requests to DynamoDB or SQS, made one after another, except the event-id claims (one per
# event), made ``CLAIM_THREADS`` at a time.
REQUEST_MS = 5
SQS_MESSAGES_PER_CALL = 10  # ReceiveMessage and DeleteMessageBatch take at most 10
# Lambda's own lines per invocation in text format (START, END, REPORT with its durations and
# memory), sent unless the function's system log level is WARN.
PLATFORM_LOG_BYTES = 75 + 53 + 150
# Write units per event are itemised by the kind of item written (``_kind_of``).
WRITE_KINDS = ("claim", "ledger", "group", "counts_sketch", "index", "event_store", "tags", "other")
GOALS = {
    "key_share": 0.5,
    "event_store_usd_per_million": 0.30,
    "write_units_per_event": 0.5,
    "usd_per_million_one_issue": 1.0,
    "usd_per_million_spread": 2.0,
}
ISSUES_BEFORE_STORM = timedelta(seconds=1)


@dataclass(frozen=True)
class Scenario:
    name: str
    rate: int  # events per simulated second
    windows: int  # batching windows simulated, one after another
    projects: int
    issues_per_project: int
    metered: tuple[int, ...]  # the windows run through the real code
    zipf: bool = False  # issue popularity: uniform, or Zipf's law (s = 1.1)


# The last window is metered: the audience and the hour's counts have grown by then.
SCENARIOS = (
    Scenario("one_issue", 10_000, 4, 1, 1, (3,)),
    Scenario("project_200", 50_000, 3, 1, 200, (2,)),
    Scenario("spread", 1_000, 3, 3, 100, (2,)),
    Scenario("low_traffic", 100, 3, 3, 100, (2,)),
    Scenario("mixed_day", 400, 3, 3, 100, (2,), zipf=True),
)
STORMS = ("one_issue", "project_200")

# One queued event as the edge sees it: the project's key, the payload, when it was received.
Item = tuple[Any, dict[str, Any], datetime]


@dataclass(frozen=True)
class Batching:
    """The processor's SQS event source as the template configures it."""

    batch_size: int
    window_seconds: int
    max_concurrency: int

    @classmethod
    def of_template(cls, window_seconds: int | None = None) -> Batching:
        """The template's, or with another batching window (``--batching-window``, to see what it
        would change)."""
        [consumer] = [c for c in queue_consumers() if c.function == "EventProcessorFunction"]
        window = window_seconds or max(1, int(consumer.batching_window_seconds))
        return cls(consumer.batch_size, window, consumer.max_concurrency)


def _pollers(rate: int, batching: Batching, fits: int) -> tuple[int, int, int]:
    """(concurrent batches, events per batch, batches per window) for ``rate`` events/s: at least
    ``MIN_POLLERS`` batches at once, more when full batches would not take the window's events,
    at most ``MaximumConcurrency``."""
    per_window = rate * batching.window_seconds
    cap = max(1, min(batching.batch_size, fits))
    pollers = min(batching.max_concurrency, max(MIN_POLLERS, math.ceil(per_window / cap)))
    size = max(1, min(cap, math.ceil(per_window / pollers)))
    batches = math.ceil(per_window / size)
    return min(pollers, batches), size, batches


def _kind_of(partition: str, sort: str | None) -> str:
    """The kind of an issues-table item, from its key: an event id's claim (``CLAIM#``), a ledger
    entry (``COUNTED#``) or follow-up mark (``FOLLOWED#``), the group
    item, its hourly count or user sketch (``HOUR#``), the event store's index, its tag summary, or
    anything else (hash, releases)."""
    if partition.startswith("CLAIM#"):
        return "claim"
    if partition.startswith(("COUNTED#", "FOLLOWED#")):
        return "ledger"
    if sort == "GROUP":
        return "group"
    if sort is not None and sort.startswith("HOUR#"):
        return "counts_sketch"
    if partition.startswith("EVENTIDS#") or (sort is not None and sort.startswith("EVENTS#")):
        return "event_store"
    if sort == "TAGS":
        return "tags"
    return "other"


def _function(name: str) -> dict[str, Any]:
    return load_template()["Resources"][name]["Properties"]


def _function_memory(name: str) -> int:
    return int(_function(name).get("MemorySize", load_template()["Globals"]["Function"]["MemorySize"]))


def _platform_log_bytes(name: str) -> int:
    """Lambda's own log lines per invocation of ``name``: none when its system log level is WARN."""
    logging = {**load_template()["Globals"]["Function"].get("LoggingConfig", {})}
    logging.update(_function(name).get("LoggingConfig", {}))
    return 0 if logging.get("SystemLogLevel") == "WARN" else PLATFORM_LOG_BYTES


# -- set-up ---------------------------------------------------------------------------------------
def _environment() -> dict[str, tuple[tuple[str, ...], tuple[Index, ...]]]:
    """Tables and queues of the template on moto, the environment pointed at them; returns each
    table's key attributes and indexes for the meter."""
    import boto3

    os.environ.update({k: v for k, v in LOCAL_ENVIRONMENT.items()})
    os.environ["POWERTOOLS_LOG_LEVEL"] = "INFO"  # the template sets none: INFO, as on AWS
    os.environ.pop("AWS_ENDPOINT_URL", None)
    dynamodb, sqs = boto3.client("dynamodb", region_name=REGION), boto3.client("sqs", region_name=REGION)
    tables: dict[str, tuple[tuple[str, ...], tuple[Index, ...]]] = {}
    for name, props in resources("AWS::DynamoDB::Table").items():
        keys = {
            k: props[k] for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes") if k in props
        }
        dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **keys)
        indexes = tuple(
            Index(
                index["IndexName"],
                tuple(k["AttributeName"] for k in index["KeySchema"]),
                index["Projection"]["ProjectionType"],
                tuple(index["Projection"].get("NonKeyAttributes", ())),
            )
            for index in props.get("GlobalSecondaryIndexes", ())
        )
        tables[name] = (tuple(k["AttributeName"] for k in props["KeySchema"]), indexes)
    queues = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in resources("AWS::SQS::Queue")}
    buckets = {name: name.lower() for name in resources("AWS::S3::Bucket")}
    for bucket in buckets.values():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=bucket)
    for variable, logical_id in environment_refs().items():
        if logical_id in tables or logical_id in queues or logical_id in buckets:
            os.environ[variable] = {**buckets, **queues}.get(logical_id, logical_id)
    return tables


_served = threading.local()  # seconds of this thread's CPU spent serving requests inside moto


@contextlib.contextmanager
def _services_apart() -> Iterator[None]:
    """Count the CPU time moto spends answering a request apart (``_own_cpu``): on AWS the service
    does that work on its own machines, and ``REQUEST_MS`` stands for its answer. The client's side
    (serializing, signing, parsing the answer) stays in the invocation's time."""
    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.process_request

    def timed(self: Any, request: Any) -> Any:
        began = time.thread_time()
        try:
            return original(self, request)
        finally:
            _served.seconds = getattr(_served, "seconds", 0.0) + time.thread_time() - began

    BotocoreStubber.process_request = timed  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.process_request = original  # type: ignore[method-assign]


def _own_cpu() -> float:
    """This thread's CPU seconds so far, less those moto spent serving its requests."""
    return time.thread_time() - getattr(_served, "seconds", 0.0)


@contextlib.contextmanager
def _claims_timed() -> Iterator[list[float]]:
    """The CPU seconds of the event-id claims (``shared.ingest.claims``), which run on the
    processor's claim threads, not the invocation's: summed in the list (the caller resets it), so
    the invocation's time includes them."""
    from shared.ingest import claims

    spent = [0.0]
    lock = threading.Lock()
    original = claims._claim

    def timed(*args: Any) -> Any:
        began = _own_cpu()
        try:
            return original(*args)
        finally:
            with lock:
                spent[0] += _own_cpu() - began

    claims._claim = timed
    try:
        yield spent
    finally:
        claims._claim = original


@contextlib.contextmanager
def _output_bytes() -> Iterator[list[int]]:
    """The bytes the block writes to standard output and error (what Lambda sends to CloudWatch
    Logs), caught at the file descriptors; the count is in the list once the block is done."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    written = [0]
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield written
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            written[0] = sink.seek(0, os.SEEK_END)


# Words of the frames' source lines: the lines of a real stack differ from each other, so an event
# compresses about 3-4 to 1, not as well as repeated lines would.
WORDS = ("request", "user", "item", "order", "cache", "query", "result", "session", "token")


def _source_line(rng: random.Random) -> str:
    names = [rng.choice(WORDS) + str(rng.randrange(100)) for _ in range(4)]
    return f"        {names[0]} = {names[1]}.{names[2]}({names[3]}, timeout={rng.randrange(60)})"


def _frame(module: str, function: str, line: int, in_app: bool) -> dict[str, Any]:
    """A stack frame as sentry-sdk sends it: five lines of source on each side."""
    rng = random.Random(f"{module}:{function}")  # the same source for the same frame
    source = [_source_line(rng) for _ in range(11)]
    return {
        "module": module,
        "function": function,
        "filename": module.replace(".", "/") + ".py",
        "abs_path": "/srv/app/.venv/lib/python3.12/site-packages/" + module.replace(".", "/") + ".py",
        "lineno": line,
        "in_app": in_app,
        "pre_context": source[:5],
        "context_line": source[5],
        "post_context": source[6:],
    }


# A web framework's frames under the view, as in a real error (they do not group: not in-app).
FRAMEWORK = [f"framework.core.handlers.layer{n}" for n in range(6)]


def _payload(project: int, issue: int, user: int, when: datetime) -> dict[str, Any]:
    """A storm event about the size sentry-sdk sends for a web request's exception (about 8 KB of
    JSON: seven frames with source context, request, contexts, tags, breadcrumbs)."""
    return {
        "event_id": uuid.uuid4().hex,
        "timestamp": when.isoformat(),
        "level": "error",
        "platform": "python",
        "release": f"shop@1.{project}.0",
        "environment": "production",
        "server_name": "web-7f9c",
        "user": {"id": f"user-{user}", "ip_address": "{{auto}}"},
        "tags": {"url": f"/api/items/{issue}", "transaction": f"view_{issue}"},
        "contexts": {
            "runtime": {"name": "CPython", "version": "3.12.7"},
            "os": {"name": "Linux", "kernel_version": "6.1.0"},
            "trace": {"trace_id": uuid.uuid4().hex, "span_id": uuid.uuid4().hex[:16]},
        },
        "request": {
            "method": "GET",
            "url": f"https://shop.example.com/api/items/{issue}",
            "headers": {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)", "Accept": "application/json"},
        },
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": f"SELECT * FROM items WHERE id = {n}", "level": "info"}
                for n in range(5)
            ]
        },
        "sdk": {"name": "sentry.python", "version": "2.19.0"},
        "exception": {
            "values": [
                {
                    "type": f"StormError{project}x{issue}",
                    "value": "upstream timed out",
                    "stacktrace": {
                        "frames": [
                            *(_frame(name, "dispatch", 40 + n, False) for n, name in enumerate(FRAMEWORK)),
                            _frame("app.views", f"view_{issue}", 120, True),
                        ]
                    },
                }
            ]
        },
    }


# -- one scenario ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Issue:
    project: int
    number: int
    project_id: int
    group_id: int
    hash: str


def _fast_forward(
    batches: Sequence[Sequence[tuple[int, int]]], issues: list[Issue], when: datetime, ledger_too: bool
) -> None:
    """What ``batches`` (of (issue, user) picks) would leave behind, written unmetered: their hourly
    counts and users (one call per issue for all of them; the users on the tag summary item), and,
    when sampled batches of the same window run after them, each batch's ledger entry per ledger
    shard (their ids, 16 bytes each, in the partition that batch's Queries read)."""
    from shared.ingest.ledger import shard_of
    from shared.issues.events.counts import record_events
    from shared.storage.group_state import CountedEvents, hour_bucket
    from shared.tags.store import record_tags

    users: dict[int, list[str]] = defaultdict(list)
    for batch in batches:
        for issue, user in batch:
            users[issue].append(f"user-{user}")
    for issue, found in users.items():
        # An item past 400 KB refuses the write: the storm's state stops growing there.
        with contextlib.suppress(Exception):
            record_events(issues[issue].group_id, when, len(found), [])
            # the hour's users ride on the tag summary item, as the processor writes them
            record_tags(issues[issue].group_id, [], {hour_bucket(when): found})
    if not ledger_too:
        return
    with CountedEvents.batch_write() as write:
        for batch in batches:
            per_shard: dict[tuple[int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
            for issue, _ in batch:
                entry = issues[issue]
                per_shard[(entry.project_id, shard_of(entry.hash))][entry.group_id] += 1
            for (project_id, shard), counts in per_shard.items():
                write.save(
                    CountedEvents(
                        CountedEvents.partition(project_id, shard, when),
                        uuid.uuid4().hex[:24],
                        ids=os.urandom(16 * sum(counts.values())),
                        spans=[value for group_id, count in counts.items() for value in (group_id, count)],
                        followed_by=uuid.uuid4().hex[:16],
                    )
                )


def _records(items: Sequence[Item]) -> list[dict[str, Any]]:
    from shared.ingest.queue import encode_event

    return [
        {
            "messageId": uuid.uuid4().hex,
            "body": encode_event(key.project_id, key.org_id, when, payload),
        }
        for key, payload, when in items
    ]


def _envelope_request(key: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """The function URL's event (payload 2.0, ``$default`` route) of a gzip envelope as sentry-sdk
    posts it to the host its DSN names."""
    header = {"event_id": payload["event_id"], "sent_at": payload["timestamp"]}
    item = json.dumps(payload).encode()
    body = gzip.compress(
        json.dumps(header).encode()
        + b"\n"
        + json.dumps({"type": "event", "length": len(item)}).encode()
        + b"\n"
        + item
    )
    path = f"/api/{key.project_id}/envelope/"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/x-sentry-envelope",
            "content-encoding": "gzip",
            "x-sentry-auth": f"Sentry sentry_key={key.public_key}, sentry_version=7",
            "user-agent": "sentry.python/2.19.0",
        },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "bench",
            "domainName": "bench.lambda-url.us-east-1.on.aws",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9"},
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "pathParameters": {"project_id": str(key.project_id), "proxy": ""},
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def _drain_events_queue() -> None:
    """The events the edge sent are handed to the processor directly: empty moto's queue
    (unmetered; the cost counts the poller's receives and deletes). moto scans every stored
    message on each send, so a queue left to fill makes each send slower than the last."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    from shared.config import settings

    queue_name = settings().events_queue_url.rsplit("/", 1)[-1]
    sqs_backends[DEFAULT_ACCOUNT_ID][REGION].get_queue(queue_name)._messages.clear()


@dataclass
class Edge:
    """What the ingestion handler spent on the sampled events: wall time of each, log bytes."""

    milliseconds: list[float] = field(default_factory=list)
    log_bytes: int = 0

    def send(self, items: Sequence[Item]) -> None:
        from functions.ingest.app import handler

        for key, payload, _ in items:
            request = _envelope_request(key, payload)
            with _output_bytes() as written:
                began = _own_cpu()
                answer = handler(request, LocalContext("IngestFunction"))
                # its own CPU time and SQS's answer to its send
                self.milliseconds.append(1000 * (_own_cpu() - began) + REQUEST_MS)
            assert answer["statusCode"] == 200, answer
            self.log_bytes += written[0]
        _drain_events_queue()


def _processor_log_bytes(items: Sequence[Item]) -> int:
    """Log bytes one processor invocation writes (its handler on a small batch, unmetered)."""
    from functions.event_processor.app import handler

    records = [
        {
            **record,
            "receiptHandle": uuid.uuid4().hex,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:EventsQueue",
            "awsRegion": REGION,
        }
        for record in _records(items)
    ]
    with _output_bytes() as written:
        handler({"Records": records}, LocalContext("EventProcessorFunction"))
    return written[0]


def _picks(scenario: Scenario, issues: int, rng: random.Random, count: int) -> list[tuple[int, int]]:
    if scenario.zipf:
        weights = [1 / (rank + 1) ** 1.1 for rank in range(issues)]
        chosen = rng.choices(range(issues), weights=weights, k=count)
    else:
        chosen = [rng.randrange(issues) for _ in range(count)]
    return [(issue, rng.randrange(USERS)) for issue in chosen]


def _run(
    scenario: Scenario,
    batching: Batching,
    meter: Meter,
    contention: Contention,
    start: datetime,
    rng: random.Random,
    claim_cpu: list[float],
) -> dict[str, Any]:
    from shared.ingest.batch import store_batch
    from shared.ingest.claims import CLAIM_THREADS
    from shared.ingest.event import normalize_event
    from shared.ingest.grouping import event_hash
    from shared.ingest.queue import encode_event
    from shared.storage.accounts import ProjectKey
    from shared.storage.group_state import GroupHash

    first_project = 1 + 10 * SCENARIOS.index(scenario)
    keys = {}
    issues: list[Issue] = []
    created = start - ISSUES_BEFORE_STORM
    with meter.pause():  # the keys and issues exist before the storm
        for p in range(scenario.projects):
            public_key = uuid.uuid4().hex
            keys[p] = ProjectKey(
                *ProjectKey.key(public_key),
                id=p,
                project_id=first_project + p,
                org_id=1,
                public_key=public_key,
                secret_key=uuid.uuid4().hex,
            )
            keys[p].save()
        numbered = [(p, i) for p in range(scenario.projects) for i in range(scenario.issues_per_project)]
        firsts = [(keys[p], _payload(p, i, 0, created), created) for p, i in numbered]
        assert not store_batch(_records(firsts))
        for (p, i), (_, payload, _) in zip(numbered, firsts, strict=True):
            hash_value = event_hash(normalize_event(payload, created))
            group = GroupHash.get(*GroupHash.key(first_project + p, hash_value))
            issues.append(Issue(p, i, first_project + p, group.group_id, hash_value))
        processor_log_bytes = _processor_log_bytes(firsts[:10])
    meter.reset()
    record_bytes = SQS_RECORD_BYTES + len(encode_event(1, 1, start, _payload(0, 0, 0, start)).encode())
    pollers, size, batches_per_window = _pollers(
        scenario.rate, batching, LAMBDA_PAYLOAD_BYTES // record_bytes
    )
    window = batching.window_seconds
    edge = Edge()
    failed = 0
    processed = invocations = busy = 0.0
    for step in range(scenario.windows):
        meter.second = step
        when = start + timedelta(seconds=step * window)
        picks = _picks(scenario, len(issues), rng, scenario.rate * window)
        batches = [picks[offset : offset + size] for offset in range(0, len(picks), size)]
        if step not in scenario.metered:
            with meter.pause():
                _fast_forward(batches, issues, when, ledger_too=False)
            continue
        sampled = min(len(batches), SAMPLED_BATCHES)
        others = batches[sampled:]
        with meter.pause():  # half the others ran before the sampled ones, in the same window
            _fast_forward(others[: len(others) // 2], issues, when, ledger_too=True)
        runs = [
            [
                (
                    keys[issues[issue].project],
                    _payload(issues[issue].project, issues[issue].number, user, moment),
                    moment,
                )
                # a batch gathers its events over the window's seconds
                for position, (issue, user) in enumerate(batch)
                for moment in [when + timedelta(seconds=position * window // len(batch))]
            ]
            for batch in batches[:sampled]
        ]
        with meter.pause():
            edge.send(runs[0][:EDGE_SAMPLE])
        meter.weight = contention.weight = len(batches) / sampled
        records = [_records(run) for run in runs]
        barrier = threading.Barrier(sampled)

        def process(batch: list[dict[str, Any]], barrier: threading.Barrier = barrier) -> tuple[int, float]:
            barrier.wait()  # the pollers hand their batches over together
            began = _own_cpu()
            return len(store_batch(batch)), _own_cpu() - began

        claim_cpu[0] = 0.0
        with ThreadPoolExecutor(max_workers=sampled) as pool:
            for lost, seconds in pool.map(process, records):
                failed += lost
                busy += meter.weight * seconds
        busy += meter.weight * claim_cpu[0]
        meter.weight = contention.weight = 1.0
        invocations += len(batches)
        processed += len(picks)
        with meter.pause():
            _fast_forward(others[len(others) // 2 :], issues, when, ledger_too=False)
    read, write, requests = meter.totals()
    # every request waits its answer in turn, but the claims (one per event), CLAIM_THREADS at once
    per_invocation = processed / invocations
    waits = (requests - processed) / invocations + math.ceil(per_invocation / CLAIM_THREADS)
    write += contention.conflict_write_units
    peaks = {
        name: meter.peak(units, index=index)
        for name, units, index in (
            ("table_wcu", meter.write_units, False),
            ("index_wcu", meter.write_units, True),
            ("table_rcu", meter.read_units, False),
            ("index_rcu", meter.read_units, True),
        )
    }
    figures: dict[str, Any] = {
        "events_per_second": scenario.rate,
        "seconds": scenario.windows * window,
        "issues": len(issues),
        "concurrent_batches": pollers,
        "batches_per_window": batches_per_window,
        "batch_size": size,
        "batching_window_seconds": window,
        "queued_record_bytes": record_bytes,
        "failed_events_per_million": round(1e6 * failed / processed, 1),
        **contention.figures(),
        **{f"peak_{name}": round(value / window) for name, (value, _) in peaks.items()},
        "peak_table_wcu_key": peaks["table_wcu"][1],
        "peak_table_rcu_key": peaks["table_rcu"][1],
        "write_units_per_event": round(write / processed, 3),
        "write_units_per_event_by_kind": {
            kind: round(meter.write_kinds[kind] / processed, 3) for kind in WRITE_KINDS
        },
        "read_units_per_event": round(read / processed, 3),
        "requests_per_event": round(requests / processed, 3),
        "largest_item_bytes": meter.largest_item,
        "processor_ms_per_invocation": round(1000 * busy / invocations + REQUEST_MS * waits, 2),
        "edge_ms_per_event": round(statistics.median(edge.milliseconds), 2),
        "edge_log_bytes_per_invocation": round(edge.log_bytes / len(edge.milliseconds))
        + _platform_log_bytes("IngestFunction"),
        "processor_log_bytes_per_invocation": processor_log_bytes
        + _platform_log_bytes("EventProcessorFunction"),
        "byte_months_per_event": round(meter.stored_byte_months / processed, 1),
    }
    figures["usd_per_million"] = _cost(figures, processed / invocations)
    figures["event_store"] = _event_store(figures, processed / invocations)
    store = figures["event_store"]["usd_per_million"]
    cost = figures["usd_per_million"]
    cost["s3"] = round(store["s3_puts"] + store["storage_month"], 2)
    cost["total"] = round(cost["total"] + cost["s3"], 2)
    cost["total_with_api_gateway"] = round(cost["total_with_api_gateway"] + cost["s3"], 2)
    return figures


def _event_store(figures: dict[str, Any], events_per_invocation: float) -> dict[str, Any]:
    """What keeping the events costs: one S3 PUT per batch, the index's write units, and a month of
    S3 storage at the compressed size measured on the objects the sampled batches wrote."""
    import boto3

    client = boto3.client("s3", region_name=REGION)
    stored, events = 0, 0
    for item in client.list_objects_v2(Bucket=os.environ["EVENTS_BUCKET"]).get("Contents", []):
        body = client.get_object(Bucket=os.environ["EVENTS_BUCKET"], Key=item["Key"])["Body"].read()
        stored, events = stored + len(body), events + gzip.decompress(body).count(b"\n")
    per_event = stored / max(events, 1)
    units = figures["write_units_per_event_by_kind"]["event_store"]
    usd = {
        "s3_puts": PRICES["s3_put_per_million"] / events_per_invocation,
        "index_writes": units * PRICES["dynamodb_per_million_write_units"],
        "storage_month": 1e6 * per_event / 1024**3 * PRICES["s3_storage_per_gb_month"],
    }
    usd["total"] = sum(usd.values())
    return {
        "s3_puts_per_event": round(1 / events_per_invocation, 4),
        "compressed_bytes_per_event": round(per_event),
        "index_write_units_per_event": units,
        "usd_per_million": {name: round(value, 3) for name, value in usd.items()},
    }


def _cost(figures: dict[str, Any], events_per_invocation: float) -> dict[str, float]:
    """Dollars per million events, itemised by service (see the module's docstring)."""
    invocations = 1e6 / events_per_invocation
    gb_ms = PRICES["lambda_arm_per_gb_second"] / 1024 / 1000  # per MB-millisecond
    lambda_ = (
        (1e6 + invocations) * PRICES["lambda_per_million_requests"] / 1e6
        + 1e6 * _function_memory("IngestFunction") * math.ceil(figures["edge_ms_per_event"]) * gb_ms
        + invocations
        * _function_memory("EventProcessorFunction")
        * math.ceil(figures["processor_ms_per_invocation"])
        * gb_ms
    )
    # The edge's send per event; the poller's receives and deletes, 10 messages a call.
    sqs_requests = 1e6 + 2 * math.ceil(1e6 / SQS_MESSAGES_PER_CALL)
    logs = (
        1e6 * figures["edge_log_bytes_per_invocation"]
        + invocations * figures["processor_log_bytes_per_invocation"]
    ) / 1024**3
    dynamodb = (
        figures["write_units_per_event"] * PRICES["dynamodb_per_million_write_units"]
        + figures["read_units_per_event"] * PRICES["dynamodb_per_million_read_units"]
        + 1e6
        * figures["byte_months_per_event"]
        / 1024**3
        * (PRICES["dynamodb_storage_per_gb_month"] + PRICES["dynamodb_pitr_per_gb_month"])
    )
    items = {
        "lambda": lambda_,
        "sqs": sqs_requests * PRICES["sqs_standard_per_million"] / 1e6,
        "cloudwatch_logs": logs * PRICES["cloudwatch_logs_per_gb_ingested"],
        "dynamodb": dynamodb,
    }
    items["total"] = sum(items.values())
    # SDKs whose DSN names the API (ingestion's API Gateway routes) add its per-request charge
    items["total_with_api_gateway"] = items["total"] + PRICES["api_gateway_http_per_million"]
    return {name: round(value, 2) for name, value in items.items()}


def _scenario(scenario: Scenario, batching: Batching, start: datetime) -> tuple[dict[str, Any], float]:
    """One scenario on a moto of its own (in a process of its own): its figures and CPU seconds."""
    from moto import mock_aws

    rng = random.Random(f"{scenario.name}:14")
    cpu_before = time.process_time()
    contention = Contention()
    with mock_aws(), _services_apart(), item_backups(), partition_queries(), contention.installed():
        meter = Meter(REGION, _environment(), _kind_of, lock=contention.lock, refused=contention.refused)
        with meter.installed(), _claims_timed() as claim_cpu:
            figures = _run(scenario, batching, meter, contention, start, rng, claim_cpu)
    return figures, time.process_time() - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--batching-window", type=int, help="seconds, instead of the template's")
    parser.add_argument("--scenario", choices=[s.name for s in SCENARIOS], action="append")
    arguments = parser.parse_args()
    batching = Batching.of_template(arguments.batching_window)
    chosen = [s for s in SCENARIOS if not arguments.scenario or s.name in arguments.scenario]
    now = datetime.now(UTC)
    # The issues (created a second before) and the storms stay within one hour: a group moves its
    # hour's count to the hour's row once an hour, which a storm of seconds would overstate.
    start = now.replace(minute=0, second=0, microsecond=0) + ISSUES_BEFORE_STORM
    if now - start < timedelta(minutes=1):
        start -= timedelta(hours=1)
    figures: dict[str, Any] = {}
    began = time.perf_counter()
    # Each scenario in a process of its own (its own moto, meter and random draws; a process is
    # never reused, as the meter's hooks stay with the clients a process made): the scenarios are
    # independent, and the machine's cores run them side by side. The longest goes first.
    order = sorted(chosen, key=lambda s: s.rate * s.projects * s.issues_per_project, reverse=True)
    cpu = 0.0
    workers = min(len(order), os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers, max_tasks_per_child=1) as pool:
        runs = {scenario.name: pool.submit(_scenario, scenario, batching, start) for scenario in order}
        for name, run in runs.items():
            figures[name], used = run.result()
            cpu += used
            print(name, json.dumps(figures[name]), file=sys.stderr, flush=True)
    figures = {
        "batching_window_seconds": batching.window_seconds,
        **{s.name: figures[s.name] for s in chosen},
    }
    if len(chosen) < len(SCENARIOS):
        print(json.dumps(figures))
        return
    storms = [figures[name] for name in STORMS]
    figures["peak_key_wcu"] = max(max(s["peak_table_wcu"], s["peak_index_wcu"]) for s in storms)
    figures["peak_key_rcu"] = max(max(s["peak_table_rcu"], s["peak_index_rcu"]) for s in storms)
    figures["storm_write_units_per_event"] = max(s["write_units_per_event"] for s in storms)
    one_issue, spread = figures["one_issue"]["usd_per_million"], figures["spread"]["usd_per_million"]
    figures["goals_met"] = {
        "key_below_half_limit": figures["peak_key_wcu"] <= GOALS["key_share"] * LIMITS["write"]
        and figures["peak_key_rcu"] <= GOALS["key_share"] * LIMITS["read"],
        "storm_write_units_per_event": figures["storm_write_units_per_event"]
        <= GOALS["write_units_per_event"],
        "usd_per_million_one_issue": one_issue["total"] <= GOALS["usd_per_million_one_issue"],
        "usd_per_million_spread": spread["total"] <= GOALS["usd_per_million_spread"],
        "event_store_usd_per_million": {
            name: figures[name]["event_store"]["usd_per_million"]["total"]
            <= GOALS["event_store_usd_per_million"]
            for name in (scenario.name for scenario in SCENARIOS)
        },
    }
    figures["goals"] = GOALS
    figures["prices"] = PRICES
    figures["seconds_taken"] = round(time.perf_counter() - began, 1)
    figures["cpu_seconds"] = round(cpu, 1)  # the wall clock depends on the machine's load
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
