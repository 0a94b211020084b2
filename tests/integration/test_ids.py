"""Ids from atomic counters on the locked moto server: uniqueness under concurrency, borrowing,
exhaustion, and the number of DynamoDB requests each costs."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.metering import count_requests
from shared.errors import MaxSnowflakeRetryError
from shared.sequences import allocate
from shared.snowflake import (
    EPOCH,
    IdCollision,
    NoAvailableId,
    compose,
    decode,
    generate_snowflake_id,
    save_with_snowflake_id,
)
from shared.storage.counters import Counter
from tests.conftest import unique


def _quiet_second() -> float:
    """A wall-clock time no other test uses, so counters of that second start empty."""
    return time.time() - random.randint(10**6, 10**8)


def test_concurrent_snowflakes_are_unique() -> None:
    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(lambda _: [generate_snowflake_id() for _ in range(200)], range(8)))
    ids = [i for batch in batches for i in batch]
    assert len(ids) == 1600 and len(set(ids)) == 1600
    assert {decode(i).version for i in ids} == {16}


def test_concurrent_sequence_ids_are_unique() -> None:
    name = unique("seq")

    def take(_: int) -> list[int]:
        ids: list[int] = []
        for size in [1, 9, 90] * 18 + [200]:  # 2000 ids per thread, mixed block sizes
            ids.extend(allocate(name, size))
        return ids

    with ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(take, range(8)) for i in batch]
    assert len(ids) == 16000
    assert sorted(ids) == list(range(1, 16001))


def test_a_block_of_1000_ids_is_one_request() -> None:
    name = unique("seq")
    with count_requests() as calls:
        block = allocate(name, 1000)
    assert list(block) == list(range(1, 1001))
    assert calls == {"UpdateItem": 1}
    assert list(allocate(name, 2)) == [1001, 1002]


def test_seventeenth_id_in_a_second_borrows_the_previous_second() -> None:
    now = _quiet_second()
    second = int(now - EPOCH)
    first_16 = [generate_snowflake_id(lambda: now) for _ in range(16)]
    assert first_16 == [compose(second, 0, seq) for seq in range(16)]
    with count_requests() as calls:
        seventeenth = generate_snowflake_id(lambda: now)
    assert seventeenth == compose(second - 1, 0, 0)
    # one refused increment, one batch read of earlier seconds, one increment that succeeds
    assert sum(calls.values()) == 3


def test_exhaustion_of_300_seconds_is_a_409_found_in_a_few_requests() -> None:
    now = _quiet_second()
    second = int(now - EPOCH)
    with Counter.batch_write() as batch:
        for s in range(second - 299, second + 1):
            batch.save(Counter(pk=f"SNOWFLAKE#{s}", value=16))
    with count_requests() as calls, pytest.raises(NoAvailableId) as error:
        generate_snowflake_id(lambda: now)
    assert error.value.status_code == 409
    assert error.value.detail == "Max allowed ID retry reached. Please try again in a second"
    assert sum(calls.values()) <= 4


def test_save_with_snowflake_id_retries_collisions_then_gives_409() -> None:
    attempts: list[int] = []

    def always_collides(snowflake: int) -> None:
        attempts.append(snowflake)
        raise IdCollision()

    with pytest.raises(MaxSnowflakeRetryError):
        save_with_snowflake_id(always_collides)
    assert len(attempts) == 5 and len(set(attempts)) == 5

    seen: list[int] = []

    def collides_once(snowflake: int) -> int:
        seen.append(snowflake)
        if len(seen) == 1:
            raise IdCollision()
        return snowflake

    assert save_with_snowflake_id(collides_once) == seen[1]
