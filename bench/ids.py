"""Benchmark ids taken from atomic DynamoDB counters on the locked local moto server.

Snowflakes (``shared.snowflake``) and plain sequences (``shared.sequences``) each cost DynamoDB
round-trips; this script measures how many, and how fast ids come, so that a change to either module
shows up as a number rather than as a feeling. It starts its own moto server, measures, stops it
and prints the figures as one JSON object on its last line (exit status 1 if any id was duplicated).

Snowflakes are measured twice: with the real clock, where a burst above 16 ids per second has to
borrow slots of earlier seconds, and with a paced clock that gives each second at most 16 ids, which
is the cost of an id when nothing has to be borrowed.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local.metering import count_requests
from local.moto_server import start_process
from local.resources import provision

SNOWFLAKES_1T = 300
SNOWFLAKES_PER_THREAD_8T = 100
SEQUENCE_IDS_1T = 300
SEQUENCE_IDS_PER_THREAD_8T = 100
BLOCK = 1000
BLOCKS_1T = 20
BLOCKS_PER_THREAD_8T = 5
LOOKBACK = 300


@dataclass(frozen=True)
class Run:
    """The ids one measurement produced, the seconds it took and the AWS requests it made."""

    ids: list[int]
    seconds: float
    requests: dict[str, int]

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def ids_per_s(self) -> float:
        return round(len(self.ids) / self.seconds, 1)

    @property
    def duplicates(self) -> int:
        return len(self.ids) - len(set(self.ids))


def requests_per_id(*runs: Run) -> float:
    return sum(run.total_requests for run in runs) / sum(len(run.ids) for run in runs)


def measure(name: str, take: Callable[[], list[int]], threads: int) -> Run:
    """Call ``take`` once in each of ``threads`` threads at the same time, timing and metering it."""
    with ThreadPoolExecutor(threads) as pool, count_requests() as calls:
        start = time.perf_counter()
        batches = [pool.submit(take) for _ in range(threads)]
        ids = [i for batch in batches for i in batch.result()]
        seconds = time.perf_counter() - start
    run = Run(ids, seconds, dict(calls))
    print(
        f"{name}: {len(ids)} ids in {seconds:.2f} s = {run.ids_per_s} ids/s, "
        f"{requests_per_id(run):.3f} requests/id {run.requests}, {run.duplicates} duplicates"
    )
    return run


def quiet_times() -> Iterator[float]:
    """Wall-clock times days in the past, 1000 s apart, whose snowflake counters nobody else uses."""
    base = time.time() - random.randint(10**6, 10**7)
    return (base - 1000 * k for k in itertools.count())


def paced_clock(start: float, slots_per_second: int) -> Callable[[], float]:
    """A clock (safe across threads) that moves one second on every ``slots_per_second`` readings."""
    readings = itertools.count()
    return lambda: start + next(readings) // slots_per_second


def snowflake_runs(times: Iterator[float]) -> list[Run]:
    # shared.* is imported only once provision() has set the table names PynamoDB reads at import.
    from shared.snowflake import SLOTS_PER_SECOND, generate_snowflake_id

    def real(count: int) -> Callable[[], list[int]]:
        return lambda: [generate_snowflake_id() for _ in range(count)]

    def paced(count: int, clock: Callable[[], float]) -> Callable[[], list[int]]:
        return lambda: [generate_snowflake_id(clock) for _ in range(count)]

    return [
        measure("snowflake 1 thread", real(SNOWFLAKES_1T), 1),
        measure("snowflake 8 threads", real(SNOWFLAKES_PER_THREAD_8T), 8),
        measure(
            "snowflake paced 1 thread",
            paced(SNOWFLAKES_1T, paced_clock(next(times), SLOTS_PER_SECOND)),
            1,
        ),
        measure(
            "snowflake paced 8 threads",
            paced(SNOWFLAKES_PER_THREAD_8T, paced_clock(next(times), SLOTS_PER_SECOND)),
            8,
        ),
    ]


def sequence_runs() -> list[Run]:
    from shared.sequences import allocate

    def take(name: str, size: int, calls: int) -> Callable[[], list[int]]:
        return lambda: [i for _ in range(calls) for i in allocate(name, size)]

    return [
        measure("sequence block 1, 1 thread", take("bench-1-1t", 1, SEQUENCE_IDS_1T), 1),
        measure("sequence block 1, 8 threads", take("bench-1-8t", 1, SEQUENCE_IDS_PER_THREAD_8T), 8),
        measure(f"sequence block {BLOCK}, 1 thread", take("bench-block-1t", BLOCK, BLOCKS_1T), 1),
        measure(
            f"sequence block {BLOCK}, 8 threads",
            take("bench-block-8t", BLOCK, BLOCKS_PER_THREAD_8T),
            8,
        ),
    ]


def fill(seconds: range) -> None:
    """Mark every slot of ``seconds`` as used."""
    from shared.snowflake import SLOTS_PER_SECOND
    from shared.storage.counters import Counter

    with Counter.batch_write() as batch:
        for second in seconds:
            batch.save(Counter(pk=f"SNOWFLAKE#{second}", value=SLOTS_PER_SECOND))


def borrow_requests(now: float) -> int:
    """Requests for the 17th id of a second: it has to borrow the previous second's first slot."""
    from shared.snowflake import EPOCH, claim_sequence

    second = int(now - EPOCH)
    fill(range(second, second + 1))
    with count_requests() as calls:
        claimed = claim_sequence(now)
    if claimed != (second - 1, 0):
        raise RuntimeError(f"expected to borrow slot 0 of second {second - 1}, got {claimed}")
    print(f"borrow: {sum(calls.values())} requests {dict(calls)}")
    return sum(calls.values())


def exhaustion_requests(now: float) -> int:
    """Requests spent to find that the second ``now`` and the 299 before it are all full."""
    from shared.snowflake import EPOCH, NoAvailableId, claim_sequence

    second = int(now - EPOCH)
    fill(range(second - LOOKBACK + 1, second + 1))
    with count_requests() as calls:
        try:
            claimed = claim_sequence(now)
        except NoAvailableId:
            print(f"exhaustion: {sum(calls.values())} requests {dict(calls)}")
            return sum(calls.values())
    raise RuntimeError(f"expected NoAvailableId with {LOOKBACK} full seconds, got {claimed}")


def main() -> int:
    process, endpoint = start_process()
    try:
        provision(endpoint, public_url="http://127.0.0.1:0")
        times = quiet_times()
        snow_1t, snow_8t, paced_1t, paced_8t = snowflake_runs(times)
        seq_1t, seq_8t, block_1t, block_8t = sequence_runs()
        borrow = borrow_requests(next(times))
        exhaustion = exhaustion_requests(next(times))
    finally:
        process.terminate()
        process.wait()
    snowflakes = [i for run in (snow_1t, snow_8t, paced_1t, paced_8t) for i in run.ids]
    snowflake_duplicates = len(snowflakes) - len(set(snowflakes))
    sequence_duplicates = sum(run.duplicates for run in (seq_1t, seq_8t, block_1t, block_8t))
    figures = {
        "snowflake_ids_per_s_1t": snow_1t.ids_per_s,
        "snowflake_ids_per_s_8t": snow_8t.ids_per_s,
        "snowflake_requests_per_id_1t": round(requests_per_id(snow_1t), 3),
        "snowflake_requests_per_id_8t": round(requests_per_id(snow_8t), 3),
        "snowflake_paced_ids_per_s_1t": paced_1t.ids_per_s,
        "snowflake_paced_ids_per_s_8t": paced_8t.ids_per_s,
        "snowflake_paced_requests_per_id": round(requests_per_id(paced_1t, paced_8t), 3),
        "snowflake_duplicates": snowflake_duplicates,
        "sequence_ids_per_s_1t_block1": seq_1t.ids_per_s,
        "sequence_ids_per_s_8t_block1": seq_8t.ids_per_s,
        "sequence_requests_per_id_block1": round(requests_per_id(seq_1t, seq_8t), 3),
        "sequence_ids_per_s_1t_block1000": block_1t.ids_per_s,
        "sequence_ids_per_s_8t_block1000": block_8t.ids_per_s,
        "sequence_ids_per_request_block1000": round(1 / requests_per_id(block_1t, block_8t), 1),
        "sequence_duplicates": sequence_duplicates,
        "borrow_requests": borrow,
        "exhaustion_requests": exhaustion,
    }
    print(json.dumps(figures))
    return 1 if snowflake_duplicates or sequence_duplicates else 0


if __name__ == "__main__":
    sys.exit(main())
