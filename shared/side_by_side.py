"""Independent steps run a few at once: each step's DynamoDB round trips are most of its time, so
a batch that reads 30 ledger shards or writes 10 transactions of new issues, or a page that reads
900 keys, waits for about a few of them rather than for all in turn (boto3's clients are
thread-safe)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Steps in flight at once: enough to overlap round trips, few enough for one Lambda environment.
THREADS = 8


def side_by_side(step: Callable[[K], V], keys: Iterable[K], threads: int = THREADS) -> dict[K, V | Exception]:
    """``step`` of each key (distinct), a few at once, each in a copy of the caller's context (the
    ledger's delivery, the meters): its result, or the exception it raised (the others run all
    the same). One key runs here, without a thread."""
    wanted = list(dict.fromkeys(keys))

    def run(key: K) -> V | Exception:
        try:
            return step(key)
        except Exception as error:
            return error

    if len(wanted) <= 1:
        return {key: run(key) for key in wanted}
    with ThreadPoolExecutor(min(threads, len(wanted))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, run, key) for key in wanted]
        return {key: future.result() for key, future in zip(wanted, futures, strict=True)}


def side_by_side_raising(step: Callable[[K], V], keys: Iterable[K], threads: int = THREADS) -> dict[K, V]:
    """``side_by_side`` for steps that all must succeed: every step runs, then the first exception
    (in the keys' order) is raised, if any."""
    results = side_by_side(step, keys, threads)
    for result in results.values():
        if isinstance(result, Exception):
            raise result
    return results  # type: ignore[return-value]
