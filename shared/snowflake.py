"""Sentry's 53-bit snowflake ids, with the per-second sequence taken from an atomic DynamoDB counter.

Layout, most significant first: version (5 bits, ``msb_0_ordering(1)`` = 16), seconds since our
epoch (32), region (12), sequence (4). A second has 16 slots; when they are used up, Sentry borrows
free slots of the previous seconds (up to 300 s back). Sentry discovers a free earlier second by
incrementing one counter per second, which costs up to 300 round-trips before it can say "no id".
We read the earlier seconds' counters 100 at a time (consistent ``BatchGetItem``) and only increment
one that still has room, so exhaustion is detected in four requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from pynamodb.exceptions import UpdateError

from shared.config import settings
from shared.errors import MaxSnowflakeRetryError
from shared.storage.base import batch_get, chunked, condition_failed
from shared.storage.counters import Counter

EPOCH = datetime(2022, 8, 8, tzinfo=UTC).timestamp()
VERSION_BITS, TIME_BITS, REGION_BITS, SEQUENCE_BITS = 5, 32, 12, 4
VERSION_ID = 1
SLOTS_PER_SECOND = 1 << SEQUENCE_BITS
LOOKBACK_SECONDS = 300
COUNTER_TTL = timedelta(minutes=5)
MAX_SAVE_ATTEMPTS = 5

T = TypeVar("T")
Clock = Callable[[], float]


class IdCollision(Exception):
    """Raised by a save callback when its id is already taken; the save is retried with a new id."""


class NoAvailableId(MaxSnowflakeRetryError):
    """Every slot of the last 300 seconds is in use."""


@dataclass(frozen=True)
class SnowflakeParts:
    version: int
    seconds: int
    region: int
    sequence: int

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(EPOCH + self.seconds, UTC)


def msb_0_ordering(value: int, width: int) -> int:
    """Reverse the bits of ``value`` within ``width`` bits, as Sentry encodes its version id."""
    return int(format(value, f"0{width}b")[::-1], 2)


def compose(seconds: int, region: int, sequence: int) -> int:
    """Assemble a snowflake from its segments, refusing any segment that overflows its width."""
    snowflake = 0
    segments = (
        ("Version ID", msb_0_ordering(VERSION_ID, VERSION_BITS), VERSION_BITS),
        ("Time difference", seconds, TIME_BITS),
        ("Region ID", region, REGION_BITS),
        ("Region sequence", sequence, SEQUENCE_BITS),
    )
    for name, value, width in segments:
        if value < 0 or value >> width:
            raise ValueError(f"{name} exceed max bit value of {width}")
        snowflake = (snowflake << width) | value
    return snowflake


def decode(snowflake: int) -> SnowflakeParts:
    """Split a snowflake back into its segments."""
    sequence = snowflake & (SLOTS_PER_SECOND - 1)
    region = (snowflake >> SEQUENCE_BITS) & ((1 << REGION_BITS) - 1)
    seconds = (snowflake >> (SEQUENCE_BITS + REGION_BITS)) & ((1 << TIME_BITS) - 1)
    version = snowflake >> (SEQUENCE_BITS + REGION_BITS + TIME_BITS)
    return SnowflakeParts(version=version, seconds=seconds, region=region, sequence=sequence)


def _counter_key(second: int) -> str:
    return f"SNOWFLAKE#{second}"


def _claim_slot(second: int, now: float) -> int | None:
    """Take the next free slot of ``second``: one conditional ``ADD``; ``None`` when it is full."""
    counter = Counter(pk=_counter_key(second))
    expires = datetime.fromtimestamp(now, UTC) + COUNTER_TTL
    try:
        counter.update(
            actions=[Counter.value.add(1), Counter.expires_at.set(expires)],
            condition=Counter.value.does_not_exist() | (Counter.value < SLOTS_PER_SECOND),
        )
    except UpdateError as error:
        if condition_failed(error):
            return None
        raise
    return counter.value - 1


def _earlier_seconds_with_room(second: int, lookback: int, now: float) -> list[int]:
    """Earlier seconds (newest first) whose counters still have free slots, read 100 at a time."""
    earlier = list(range(second - 1, second - lookback, -1))
    with_room: list[int] = []
    for chunk in chunked(earlier, 100):
        counters = batch_get(Counter, [_counter_key(s) for s in chunk], consistent_read=True)
        used = {c.pk: c.value for c in counters if c.expires_at is None or c.expires_at.timestamp() > now}
        with_room.extend(s for s in chunk if used.get(_counter_key(s), 0) < SLOTS_PER_SECOND)
        if with_room:
            return with_room
    return with_room


def claim_sequence(now: float) -> tuple[int, int]:
    """Return ``(second, sequence)`` for a new id at wall-clock ``now``, borrowing earlier seconds."""
    second = int(now - EPOCH)
    sequence = _claim_slot(second, now)
    if sequence is not None:
        return second, sequence
    lookback = min(second, LOOKBACK_SECONDS)
    while True:
        candidates = _earlier_seconds_with_room(second, lookback, now)
        if not candidates:
            raise NoAvailableId()
        for candidate in candidates:
            sequence = _claim_slot(candidate, now)
            if sequence is not None:
                return candidate, sequence


def generate_snowflake_id(clock: Clock = time.time) -> int:
    """A new unique snowflake id (unique as long as the counter table is shared by all writers)."""
    second, sequence = claim_sequence(clock())
    return compose(second, settings().snowflake_region_id, sequence)


def save_with_snowflake_id(save: Callable[[int], T], clock: Clock = time.time) -> T:
    """Call ``save(id)`` with fresh ids until it does not raise ``IdCollision``; then give up with 409.

    ``save`` must write conditionally on the id being new, so that a collision is detected by
    DynamoDB rather than by a prior read.
    """
    for _ in range(MAX_SAVE_ATTEMPTS):
        try:
            return save(generate_snowflake_id(clock))
        except IdCollision:
            continue
    raise MaxSnowflakeRetryError()
