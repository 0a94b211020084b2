"""Count AWS requests made by this process (boto3 and PynamoDB both go through botocore's
``BaseClient._make_api_call``) and by the Lambda environments it invoked (each reports its own
invocation's requests), for tests and benchmarks that measure round-trips per operation."""

from __future__ import annotations

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
_active: list[Counter[str]] = []


def _counting(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
    with _lock:
        for counter in _active:
            counter[operation_name] += 1
    return _original(self, operation_name, api_params)


@contextmanager
def count_requests() -> Iterator[Counter[str]]:
    """Yield a Counter of operation name → calls made while the block runs (all threads)."""
    counter: Counter[str] = Counter()
    with _lock:
        _active.append(counter)
        BaseClient._make_api_call = _counting  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        with _lock:
            _active.remove(counter)
            if not _active:
                BaseClient._make_api_call = _original  # type: ignore[method-assign]


def record(calls: Mapping[str, int]) -> None:
    """Add requests made on this process's behalf elsewhere (a Lambda environment's invocation)."""
    with _lock:
        for counter in _active:
            counter.update(calls)


@dataclass
class Measured:
    """What one call cost: requests by operation, wall time, and what it returned."""

    calls: Counter[str]
    ms: float
    result: Any

    @property
    def requests(self) -> int:
        return sum(self.calls.values())


def measure(call: Callable[[], Any]) -> Measured:
    """Run ``call`` once, counting its AWS requests (all threads of this process) and its time."""
    with count_requests() as calls:
        start = time.perf_counter()
        result = call()
        elapsed = (time.perf_counter() - start) * 1000
    return Measured(calls, elapsed, result)
