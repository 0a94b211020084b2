"""Storm simulation: the real ingestion code on moto in-process (``mock_aws``), with simulated time.

Scenarios (rates are simulated; each simulated second's events are fed as the batches the path
receives — one event per invocation on the per-event path, SQS batches of the template's
``BatchSize`` / ``MaximumBatchingWindowInSeconds`` on the batch path):
- ``one_issue``: one issue at 10,000 events/s for 10 s, users drawn from 100,000;
- ``project_200``: 200 issues of one project at 50,000 events/s for 5 s;
- ``spread``: 1,000 events/s over 300 issues of 3 projects for 3 s (ordinary traffic).

moto runs a few hundred requests/s here, so the storm is *sampled*: in three of its simulated
seconds (``_metered_seconds``: first, middle, last) two batches run through the real code under the
meter (``bench/capacity_meter.py``): the second's first batch and its middle one, which is charged
as every later batch of the second (``Meter.weight``: a second of N batches costs first + (N - 1) x
middle). The first batch is the dearer one (it writes each issue's latest event, at most once a
second); the later ones write alike, and read the ledger entries of the batches before them, which
grow by one per batch: the middle batch reads their average. The first ``EDGE_SAMPLE`` events of
each metered batch also go through the edge (to time it). Everything else is fast-forwarded
unmetered (``_fast_forward``): into the hourly counts and users (``record_events``, one call per
issue), so item sizes grow as in the full storm, and, before the middle batch, into the ledger
entries of the batches before it. Issues exist before the storm (created unmetered). moto's memory
and time stay bounded: its transactions back up only the items they name and its Queries look at
their partition only (``bench/moto_transactions.py``), and the events queue is emptied after each
batch (``_drain_events_queue``).

Dollars per million events use us-east-1 on-demand list prices (``PRICES``, dated): API Gateway HTTP
API, Lambda (arm64, each function at its template memory and its measured duration here — an
upper bound, as moto's engine runs in the same process), SQS standard, DynamoDB on-demand.
The last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.capacity_meter import Index, Meter
from bench.cost import PRICES
from bench.moto_transactions import item_backups, partition_queries
from local.resources import LOCAL_ENVIRONMENT
from local.template import environment_refs, load_template, resources

REGION = "us-east-1"
USERS = 100_000
EDGE_SAMPLE = 50  # events of each sampled batch also sent through the edge, to time it
LIMITS = {"write": 1000, "read": 3000}  # per partition key and second
# Lambda hands an SQS batch over in one invocation payload of at most 6 MB; besides its body, each
# record carries its message id, receipt handle, attributes, body digest and the queue's ARN.
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
SQS_RECORD_BYTES = 700
# Write units per event are itemised by the kind of item written (``_kind_of``).
WRITE_KINDS = ("ledger", "group", "counts_sketch", "index", "latest_event", "other")
GOALS = {"key_share": 0.5, "write_units_per_event": 0.5, "usd_per_million": 5.0}
ISSUES_BEFORE_STORM = timedelta(seconds=1)


@dataclass(frozen=True)
class Scenario:
    name: str
    rate: int  # events per simulated second
    seconds: int
    projects: int
    issues_per_project: int


SCENARIOS = (
    Scenario("one_issue", 10_000, 10, 1, 1),
    Scenario("project_200", 50_000, 5, 1, 200),
    Scenario("spread", 1_000, 3, 3, 100),
)


# One queued event as the edge sees it: the project's key, the payload, when it was received.
Item = tuple[Any, dict[str, Any], datetime]


@dataclass(frozen=True)
class IngestPath:
    """How events reach the processing code: per event (one invocation each, no edge) or accepted
    at the edge onto the events queue and processed in SQS batches."""

    name: str
    function: str  # the processing function's logical id in the template
    edge: Callable[[Item], Any] | None
    process: Callable[[Sequence[Item]], int]  # events that failed

    def batching(self) -> tuple[int, float]:
        """``BatchSize`` and ``MaximumBatchingWindowInSeconds`` of the function's SQS event."""
        events = load_template()["Resources"][self.function]["Properties"].get("Events", {})
        for event in events.values():
            if event.get("Type") == "SQS":
                props = event["Properties"]
                return int(props.get("BatchSize", 10)), float(props.get("MaximumBatchingWindowInSeconds", 0))
        return 1, 0.0


def _per_event(items: Sequence[Item]) -> int:
    from shared.ingest.event import normalize_event
    from shared.ingest.pipeline import process_event

    failed = 0
    for key, payload, received in items:
        try:
            process_event(key, normalize_event(payload, received))
        except Exception:  # a refused write is a figure here, not a crash
            failed += 1
    return failed


def _edge(item: Item) -> str:
    """What the edge does per event once its key is cached: encode it and send it to the queue."""
    from shared.config import settings
    from shared.ingest.queue import encode_event
    from shared.queues import send_message

    key, payload, received = item
    body = encode_event(int(key.project_id), int(key.org_id), received, payload)
    send_message(settings().events_queue_url, body)
    return body


def _drain_events_queue() -> None:
    """The events sent are handed to the processor directly: empty moto's queue (unmetered; the
    cost counts the poller's receive and delete per batch). moto scans every stored message on
    each send, so a queue left to fill makes each send slower than the last."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    from shared.config import settings

    queue_name = settings().events_queue_url.rsplit("/", 1)[-1]
    sqs_backends[DEFAULT_ACCOUNT_ID][REGION].get_queue(queue_name)._messages.clear()


def _batch(items: Sequence[Item]) -> int:
    from shared.ingest.batch import store_batch
    from shared.ingest.queue import encode_event

    records = [
        {"messageId": f"m{n}", "body": encode_event(int(key.project_id), int(key.org_id), received, payload)}
        for n, (key, payload, received) in enumerate(items)
    ]
    return len(store_batch(records))


PATHS = {
    "per-event": IngestPath("per-event", "IngestFunction", None, _per_event),
    "batch": IngestPath("batch", "EventProcessorFunction", _edge, _batch),
}


def _metered_seconds(seconds: int) -> set[int]:
    """The simulated seconds run through the real code: the first, the middle and the last (a
    storm's seconds are alike but for its audience growing, which the others fast-forward)."""
    return {0, seconds // 2, seconds - 1}


def _kind_of(partition: str, sort: str | None) -> str:
    """The kind of an issues-table item, from its key: a ledger entry (``COUNTED#``), the group
    item, its hourly count or user sketch (``HOUR#``), its latest event, or anything else (hash,
    releases)."""
    if partition.startswith("COUNTED#"):
        return "ledger"
    if sort == "GROUP":
        return "group"
    if sort is not None and sort.startswith("HOUR#"):
        return "counts_sketch"
    if sort == "LATEST_EVENT":
        return "latest_event"
    return "other"


def _function_memory(name: str) -> int:
    template = load_template()
    function = template["Resources"][name]["Properties"]
    return int(function.get("MemorySize", template["Globals"]["Function"]["MemorySize"]))


# -- set-up ---------------------------------------------------------------------------------------
def _environment() -> dict[str, tuple[tuple[str, ...], tuple[Index, ...]]]:
    """Tables and queues of the template on moto, the environment pointed at them; returns each
    table's key attributes and indexes for the meter."""
    import boto3

    os.environ.update({k: v for k, v in LOCAL_ENVIRONMENT.items()})
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
    for variable, logical_id in environment_refs().items():
        if logical_id in tables or logical_id in queues:
            os.environ[variable] = logical_id if logical_id in tables else queues[logical_id]
    return tables


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
        "release": None,
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
    counts and users (one call per issue for all of them), and, when a later batch of the same
    second is metered after them, each batch's ledger entry per ledger shard (their ids, 16 bytes
    each, in the partition that batch's Queries read)."""
    from shared.ingest.ledger import shard_of
    from shared.issues.events.counts import record_events
    from shared.storage.group_state import CountedEvents

    users: dict[int, list[str]] = defaultdict(list)
    for batch in batches:
        for issue, user in batch:
            users[issue].append(f"user-{user}")
    for issue, found in users.items():
        # An item past 400 KB refuses the write: the storm's state stops growing there.
        with contextlib.suppress(Exception):
            record_events(issues[issue].group_id, when, len(found), found)
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
                    )
                )


def _run(
    scenario: Scenario, path: IngestPath, meter: Meter, start: datetime, rng: random.Random
) -> dict[str, Any]:
    from shared.ingest.event import normalize_event
    from shared.ingest.grouping import event_hash
    from shared.ingest.pipeline import process_event
    from shared.ingest.queue import encode_event
    from shared.storage.accounts import ProjectKey

    first_project = 1 + 10 * SCENARIOS.index(scenario)
    keys = {
        p: ProjectKey(*ProjectKey.key(f"{scenario.name}{p}"), id=p, project_id=first_project + p, org_id=1)
        for p in range(scenario.projects)
    }
    issues: list[Issue] = []
    with meter.pause():  # the issues exist before the storm
        for p in range(scenario.projects):
            for i in range(scenario.issues_per_project):
                event = normalize_event(_payload(p, i, 0, start - ISSUES_BEFORE_STORM), start)
                group_id = int(process_event(keys[p], event).group_id or 0)
                issues.append(Issue(p, i, first_project + p, group_id, event_hash(event)))
    meter.reset()
    batch_size, window = path.batching()
    record_bytes = SQS_RECORD_BYTES + len(encode_event(1, 1, start, _payload(0, 0, 0, start)).encode())
    fits = LAMBDA_PAYLOAD_BYTES // record_bytes
    size = max(1, min(batch_size, fits, math.ceil(scenario.rate * window) or batch_size))
    failed = 0
    sampled = processed = invocations = 0.0
    edge_seconds = busy = 0.0
    edge_events = 0
    for second in range(scenario.seconds):
        meter.second = second
        when = start + timedelta(seconds=second)
        picks = [(rng.randrange(len(issues)), rng.randrange(USERS)) for _ in range(scenario.rate)]
        batches = [picks[offset : offset + size] for offset in range(0, len(picks), size)]
        if second not in _metered_seconds(scenario.seconds):
            with meter.pause():
                _fast_forward(batches, issues, when, ledger_too=False)
            continue
        # The first batch of the second, then the middle one standing for every later batch: the
        # latest event is written by the first only, and the k-th batch's ledger Queries read the
        # k - 1 entries before it, which the middle batch reads on average.
        middle = len(batches) // 2
        runs = [(batches[0], 1.0)]
        if middle:
            runs.append((batches[middle], (len(picks) - len(batches[0])) / len(batches[middle])))
        for number, (batch_picks, weight) in enumerate(runs):
            if number == 1:
                with meter.pause():
                    _fast_forward(batches[1:middle], issues, when, ledger_too=True)
            batch = [
                (
                    keys[issues[issue].project],
                    _payload(issues[issue].project, issues[issue].number, user, when),
                    when,
                )
                for issue, user in batch_picks
            ]
            meter.weight = weight
            if path.edge is not None:
                began = time.perf_counter()
                for item in batch[:EDGE_SAMPLE]:
                    path.edge(item)
                edge_seconds += time.perf_counter() - began
                edge_events += len(batch[:EDGE_SAMPLE])
                _drain_events_queue()
            began = time.perf_counter()
            failed += path.process(batch)
            busy += weight * (time.perf_counter() - began)
            meter.weight = 1.0
            invocations += weight
            sampled += len(batch)
            processed += weight * len(batch)
        with meter.pause():
            _fast_forward(batches[middle + 1 :], issues, when, ledger_too=False)
    read, write, requests = meter.totals()
    table_write = meter.peak(meter.write_units, index=False)
    index_write = meter.peak(meter.write_units, index=True)
    table_read = meter.peak(meter.read_units, index=False)
    index_read = meter.peak(meter.read_units, index=True)
    figures = {
        "events_per_second": scenario.rate,
        "seconds": scenario.seconds,
        "issues": len(issues),
        "sampled_events": int(sampled),
        "failed_events": failed,
        "batch_size": size,
        "queued_record_bytes": record_bytes,
        "peak_table_wcu": round(table_write[0]),
        "peak_table_wcu_key": table_write[1],
        "peak_index_wcu": round(index_write[0]),
        "peak_index_wcu_key": index_write[1],
        "peak_table_rcu": round(table_read[0]),
        "peak_index_rcu": round(index_read[0]),
        "write_units_per_event": round(write / processed, 3),
        "write_units_per_event_by_kind": {
            kind: round(meter.write_kinds[kind] / processed, 3) for kind in WRITE_KINDS
        },
        "read_units_per_event": round(read / processed, 3),
        "requests_per_event": round(requests / processed, 3),
        "largest_item_bytes": meter.largest_item,
        "processor_ms_per_invocation": round(1000 * busy / invocations, 2),
        "edge_ms_per_event": round(1000 * edge_seconds / max(1, edge_events), 2),
    }
    figures["usd_per_million"] = _cost(path, figures, processed / invocations)
    return figures


def _cost(path: IngestPath, figures: dict[str, Any], events_per_invocation: float) -> dict[str, float]:
    """Dollars per million events, itemised by service: one API request per event; Lambda per
    invocation and GB-second (the edge once per event, the processor once per batch); SQS per
    request (the edge's send, the poller's receive and delete of each batch)."""
    invocations = 1e6 / events_per_invocation
    gb_second = PRICES["lambda_arm_per_gb_second"] / 1024 / 1000  # per MB-millisecond
    lambda_ = (invocations * PRICES["lambda_per_million_requests"] / 1e6) + (
        invocations * _function_memory(path.function) * figures["processor_ms_per_invocation"] * gb_second
    )
    sqs = 0.0
    if path.edge is not None:
        lambda_ += PRICES["lambda_per_million_requests"] + (
            1e6 * _function_memory("IngestFunction") * figures["edge_ms_per_event"] * gb_second
        )
        sqs = (1e6 + 2 * invocations) * PRICES["sqs_standard_per_million"] / 1e6
    dynamodb = (
        figures["write_units_per_event"] * PRICES["dynamodb_per_million_write_units"]
        + figures["read_units_per_event"] * PRICES["dynamodb_per_million_read_units"]
    )
    items = {
        "api_gateway_http": PRICES["api_gateway_http_per_million"],
        "lambda": lambda_,
        "sqs": sqs,
        "dynamodb": dynamodb,
    }
    items["total"] = sum(items.values())
    return {name: round(value, 2) for name, value in items.items()}


def _scenario(scenario: Scenario, path_name: str, start: datetime) -> tuple[dict[str, Any], float]:
    """One scenario on a moto of its own (in a process of its own): its figures and CPU seconds."""
    from moto import mock_aws

    rng = random.Random(f"{scenario.name}:14")
    cpu_before = time.process_time()
    with mock_aws(), item_backups(), partition_queries():
        meter = Meter(REGION, _environment(), _kind_of)
        with meter.installed():
            figures = _run(scenario, PATHS[path_name], meter, start, rng)
    return figures, time.process_time() - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--path", choices=sorted(PATHS), default="batch")
    arguments = parser.parse_args()
    path_name = arguments.path
    now = datetime.now(UTC)
    # The issues (created a second before) and the storms stay within one hour: a group moves its
    # hour's count to the hour's row once an hour, which a storm of seconds would overstate.
    start = now.replace(minute=0, second=0, microsecond=0) + ISSUES_BEFORE_STORM
    if now - start < timedelta(minutes=1):
        start -= timedelta(hours=1)
    figures: dict[str, Any] = {"path": path_name}
    began = time.perf_counter()
    # Each scenario in a process of its own (its own moto, meter and random draws; a process is
    # never reused, as the meter's hooks stay with the clients a process made): the scenarios are
    # independent, and the machine's cores run them side by side. The longest goes first.
    order = sorted(SCENARIOS, key=lambda s: s.rate * s.projects * s.issues_per_project, reverse=True)
    cpu = 0.0
    workers = min(len(order), os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers, max_tasks_per_child=1) as pool:
        runs = {scenario.name: pool.submit(_scenario, scenario, path_name, start) for scenario in order}
        for name, run in runs.items():
            figures[name], used = run.result()
            cpu += used
            print(name, json.dumps(figures[name]), file=sys.stderr, flush=True)
    figures = {"path": path_name, **{s.name: figures[s.name] for s in SCENARIOS}}
    storms = [figures[s.name] for s in SCENARIOS if s.name != "spread"]
    figures["peak_key_wcu"] = max(max(s["peak_table_wcu"], s["peak_index_wcu"]) for s in storms)
    figures["peak_key_rcu"] = max(max(s["peak_table_rcu"], s["peak_index_rcu"]) for s in storms)
    figures["storm_write_units_per_event"] = max(s["write_units_per_event"] for s in storms)
    figures["storm_requests_per_event"] = max(s["requests_per_event"] for s in storms)
    figures["usd_per_million_storm"] = max(s["usd_per_million"]["total"] for s in storms)
    figures["usd_per_million_spread"] = figures["spread"]["usd_per_million"]["total"]
    figures["goals_met"] = {
        "key_below_half_limit": figures["peak_key_wcu"] <= GOALS["key_share"] * LIMITS["write"]
        and figures["peak_key_rcu"] <= GOALS["key_share"] * LIMITS["read"],
        "storm_write_units_per_event": figures["storm_write_units_per_event"]
        <= GOALS["write_units_per_event"],
        "usd_per_million": max(figures["usd_per_million_storm"], figures["usd_per_million_spread"])
        <= GOALS["usd_per_million"],
    }
    figures["prices"] = PRICES
    figures["seconds_taken"] = round(time.perf_counter() - began, 1)
    figures["cpu_seconds"] = round(cpu, 1)  # the wall clock depends on the machine's load
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
