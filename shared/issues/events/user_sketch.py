"""Distinct users of a group in a fixed-size structure: exact while the audience is small, then a
HyperLogLog (the structure Sentry's own time-series store counts users with).

Why: a set of user hashes grows by one entry per user, so an hourly row of a popular issue grew
past DynamoDB's 400 KB item limit and every write paid one unit per KB. A HyperLogLog keeps one
small register per bucket of hashed users (the longest run of leading zeros seen in the bucket);
its size is fixed whatever the audience and two sketches merge by taking the larger register, so
hours add up into a window without double-counting a user seen in several of them.

Error bound: 2^12 = 4,096 registers, read with Ertl's improved estimator (``estimate``), whose
relative standard error is at most 1.04 / sqrt(4096) ≈ 1.6 %. Measured (``bench/user_sketch.py``,
1,000 random audiences read as they grow from 101 to 20,000 users): no bias beyond ±0.25 %, RMSE
1.1 % (hundreds of users) to 1.5 % (20,000), 99.9 % of estimates within ±4.9 % (three standard
errors), the largest error seen 6.7 % in 70,000 estimates. Audiences of
up to ``EXACT_LIMIT`` users are counted exactly (their 64-bit hashes are kept), so small issues stay
tiny and their counts are exact. Stored form (``to_bytes``): ``E`` + the sorted 8-byte hashes, or
``H`` + the zlib-compressed registers (about 1.5 to 2.5 KB once every register is in use, 4 KB at most).
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

PRECISION = 12
REGISTERS = 1 << PRECISION
EXACT_LIMIT = 100
STANDARD_ERROR = 1.04 / math.sqrt(REGISTERS)
_RANK_BITS = 64 - PRECISION
_ALPHA_INFINITY = 1 / (2 * math.log(2))
_KEY_BYTES = 8


def user_key(user_hash: str) -> int:
    """The 64-bit hash a user is counted by; uniform whatever the user identifier looks like."""
    return int.from_bytes(hashlib.blake2b(user_hash.encode(), digest_size=_KEY_BYTES).digest(), "big")


def _register(key: int) -> tuple[int, int]:
    """Bucket of a hashed user (its top bits) and its rank: 1 + leading zeros of the other bits."""
    rest = key & ((1 << _RANK_BITS) - 1)
    return key >> _RANK_BITS, _RANK_BITS - rest.bit_length() + 1


def _registers_of(keys: Iterable[int], registers: bytearray | None = None) -> bytearray:
    registers = registers if registers is not None else bytearray(REGISTERS)
    for key in keys:
        index, rank = _register(key)
        if rank > registers[index]:
            registers[index] = rank
    return registers


@dataclass(frozen=True)
class UserSketch:
    """Either the exact set of hashed users (``exact``) or HyperLogLog ``registers``; immutable, so
    a merge that changes nothing is seen by comparing the result with what was stored."""

    exact: frozenset[int] = frozenset()
    registers: bytes | None = None

    @classmethod
    def of(cls, user_hashes: Iterable[str]) -> UserSketch:
        return cls().add(user_key(user_hash) for user_hash in user_hashes)

    def add(self, keys: Iterable[int]) -> UserSketch:
        """This sketch with the hashed users ``keys`` counted."""
        if self.registers is not None:
            return UserSketch(registers=bytes(_registers_of(keys, bytearray(self.registers))))
        exact = self.exact.union(keys)
        if len(exact) <= EXACT_LIMIT:
            return UserSketch(exact=exact)
        return UserSketch(registers=bytes(_registers_of(exact)))

    def merge(self, other: UserSketch) -> UserSketch:
        """The union of both audiences (register-wise maximum once either is a HyperLogLog)."""
        if other.registers is None:
            return self.add(other.exact)
        if self.registers is None:
            return other.add(self.exact)
        return UserSketch(registers=bytes(map(max, self.registers, other.registers)))

    def count(self) -> int:
        """Distinct users: exact in the exact form, else the HyperLogLog estimate (``estimate``)."""
        if self.registers is None:
            return len(self.exact)
        return round(estimate(self.registers))

    def to_bytes(self) -> bytes:
        if self.registers is None:
            return b"E" + b"".join(key.to_bytes(_KEY_BYTES, "big") for key in sorted(self.exact))
        return b"H" + zlib.compress(self.registers, 9)

    @classmethod
    def from_bytes(cls, data: bytes | None) -> UserSketch:
        if not data:
            return cls()
        body = data[1:]
        if data[:1] == b"H":
            return cls(registers=zlib.decompress(body))
        keys = (body[i : i + _KEY_BYTES] for i in range(0, len(body), _KEY_BYTES))
        return cls(exact=frozenset(int.from_bytes(key, "big") for key in keys))


def estimate(registers: bytes) -> float:
    """Ertl's improved raw estimator ("New cardinality estimation algorithms for HyperLogLog
    sketches", 2017, algorithm 6) over the histogram of register values: unbiased over the whole
    range, with no switch between linear counting and the raw estimate (the classic switch near
    2.5 times 4,096, about 10,000 users, was biased by about +2 % there) and no table of empirical bias
    corrections (HyperLogLog++'s). The registers are the classic ones, so stored sketches read as
    before."""
    histogram = [0] * (_RANK_BITS + 2)
    for rank in registers:
        histogram[rank] += 1
    z = REGISTERS * _tau(1 - histogram[_RANK_BITS + 1] / REGISTERS)
    for rank in range(_RANK_BITS, 0, -1):
        z = 0.5 * (z + histogram[rank])
    z += REGISTERS * _sigma(histogram[0] / REGISTERS)
    return _ALPHA_INFINITY * REGISTERS * REGISTERS / z


def _sigma(x: float) -> float:
    """x + sum over k >= 1 of x^(2^k) * 2^(k-1): the correction for empty registers."""
    if x == 1:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if z == previous:
            return z


def _tau(x: float) -> float:
    """The correction for registers at their largest value (never reached in practice)."""
    if x in (0, 1):
        return 0.0
    y, z = 1.0, 1 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        z -= (1 - x) ** 2 * y
        if z == previous:
            return z / 3


def merged(sketches: Iterable[UserSketch]) -> UserSketch:
    """The union of several sketches (e.g. the hours of a window)."""
    total = UserSketch()
    for sketch in sketches:
        total = total.merge(sketch)
    return total
