"""Count AWS requests made by this process (boto3 and PynamoDB both go through botocore's
``BaseClient._make_api_call``) and by the Lambda environments it invoked (each reports its own
invocation's requests), for tests and benchmarks that measure round-trips per operation.

With ``LOCAL_METER_CAPACITY=1`` in the environment (processes started later inherit it), DynamoDB
requests also ask for ``ReturnConsumedCapacity`` and the units the engine reports are summed as
``read_units`` and ``write_units`` (``meter_capacity``), for the cost benchmark."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient

_original = BaseClient._make_api_call
_lock = threading.Lock()
_active: list[tuple[Counter[str], bool]] = []  # a counter, and whether it counts background work
_capacity: list[Counter[str]] = []
CAPACITY_VARIABLE = "LOCAL_METER_CAPACITY"
READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


_thread = threading.local()


@contextmanager
def unmetered() -> Iterator[None]:
    """Requests this thread makes directly while the block runs are not counted: the local queue
    pollers stand in for Lambda's event source mappings (and the schedule threads for EventBridge),
    which are AWS's requests, not the code's. What the functions they invoke spend is background
    work: counted only by meters that ask for it (``count_requests(background=True)``)."""
    _thread.off = True
    try:
        yield
    finally:
        _thread.off = False


def _counting(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
    if getattr(_thread, "off", False):
        return _original(self, operation_name, api_params)
    with _lock:
        for counter, _ in _active:
            counter[operation_name] += 1
    if operation_name not in READS | WRITES or os.environ.get(CAPACITY_VARIABLE) != "1":
        return _original(self, operation_name, api_params)
    response = _original(self, operation_name, {**api_params, "ReturnConsumedCapacity": "TOTAL"})
    consumed = response.get("ConsumedCapacity") or []
    units = sum(c.get("CapacityUnits", 0.0) for c in (consumed if isinstance(consumed, list) else [consumed]))
    record({}, {"read_units" if operation_name in READS else "write_units": units})
    return response


@contextmanager
def count_requests(background: bool = False) -> Iterator[Counter[str]]:
    """Yield a Counter of operation name → calls made while the block runs (all threads).

    With ``background``, what the queue consumers' and schedules' invocations spend meanwhile is
    counted too: a block that waits for its events to be processed. Without it, a consumer still
    busy with an earlier block's messages cannot add to this block's figures."""
    counter: Counter[str] = Counter()
    entry = (counter, background)
    with _lock:
        _active.append(entry)
        BaseClient._make_api_call = _counting  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        with _lock:
            _active.remove(entry)
            if not _active:
                BaseClient._make_api_call = _original  # type: ignore[method-assign]


@contextmanager
def meter_capacity() -> Iterator[Counter[str]]:
    """Yield a Counter of the capacity units (``read_units``, ``write_units``) consumed while the
    block runs, as the engine reports them (requests count only with ``LOCAL_METER_CAPACITY=1``)."""
    units: Counter[str] = Counter()
    with count_requests(background=True):  # the counting hook is installed while any meter is active
        with _lock:
            _capacity.append(units)
        try:
            yield units
        finally:
            with _lock:
                _capacity.remove(units)


def record(calls: Mapping[str, int], units: Mapping[str, float] | None = None) -> None:
    """Add requests (and capacity units) used on this process's behalf elsewhere (a Lambda
    environment's invocation). Called from a background worker's thread, it is background work."""
    background = getattr(_thread, "off", False)
    with _lock:
        for counter, counts_background in _active:
            if counts_background or not background:
                counter.update(calls)
        for meter in _capacity:
            meter.update(units or {})


@dataclass
class Measured:
    """What one call cost: requests by operation, wall time, and what it returned."""

    calls: Counter[str]
    ms: float
    result: Any

    @property
    def requests(self) -> int:
        return sum(self.calls.values())


def measure(call: Callable[[], Any], background: bool = False) -> Measured:
    """Run ``call`` once, counting its AWS requests (all threads of this process; with
    ``background``, the background workers' too) and its time."""
    with count_requests(background) as calls:
        start = time.perf_counter()
        result = call()
        elapsed = (time.perf_counter() - start) * 1000
    return Measured(calls, elapsed, result)
