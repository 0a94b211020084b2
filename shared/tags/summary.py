"""A group's tag summary: per tag key its event total, first and last seen, and its top values with
counts, bounded however many distinct values arrive (the Space-Saving algorithm of Metwally et al.).

Each key keeps at most ``TOP_VALUES`` values (``environment``: ``TOP_ENVIRONMENTS``). A value
already kept is counted exactly from the time it was kept; a new value when the key is full takes
the place of the value with the smallest count and inherits that count as its possible
overestimate (``error``). So a value that was never displaced has ``error`` 0 and an exact count,
every value more frequent than ``total / TOP_VALUES`` is always kept (a key's most frequent values
of a batch are counted first), and the long tail is what the
kept counts leave of the total (an estimate). Keys past ``MAX_KEYS`` are not tracked.

Stored as compressed JSON in one item (``shared.storage.group_tags``): a few hundred bytes for an
ordinary issue, a few KB at most."""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

TOP_VALUES = 10
TOP_ENVIRONMENTS = 30
MAX_KEYS = 40


def _weighted(count: int, weight: float) -> int:
    scaled = count * weight
    return int(scaled) + (1 if random.random() < scaled - int(scaled) else 0)


def _epoch(when: datetime) -> int:
    return int(when.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass
class ValueCount:
    value: str
    count: int
    error: int
    first: int  # epoch seconds
    last: int

    def as_list(self) -> list[object]:
        return [self.value, self.count, self.error, self.first, self.last]


@dataclass
class KeyCounts:
    total: int = 0
    first: int = 0
    last: int = 0
    values: list[ValueCount] = field(default_factory=list)

    def add(self, value: str, count: int, first: int, last: int, capacity: int) -> None:
        """Count ``count`` events of ``value`` seen from ``first`` to ``last`` (Space-Saving)."""
        self.total += count
        self.first = min(self.first, first) if self.first else first
        self.last = max(self.last, last)
        for kept in self.values:
            if kept.value == value:
                kept.count += count
                kept.first, kept.last = min(kept.first, first), max(kept.last, last)
                return
        if len(self.values) < capacity:
            self.values.append(ValueCount(value, count, 0, first, last))
            return
        smallest = min(self.values, key=lambda kept: kept.count)
        self.values.remove(smallest)
        self.values.append(ValueCount(value, smallest.count + count, smallest.count, first, last))

    def top(self) -> list[ValueCount]:
        """The kept values, most frequent first (ties: most recently seen first)."""
        return sorted(self.values, key=lambda kept: (-kept.count, -kept.last, kept.value))

    def find(self, value: str) -> ValueCount | None:
        return next((kept for kept in self.values if kept.value == value), None)

    @property
    def tail(self) -> int:
        """Events of values not kept (estimated: a displaced value's count went to its successor)."""
        return max(0, self.total - sum(kept.count - kept.error for kept in self.values))


@dataclass
class TagSummary:
    keys: dict[str, KeyCounts] = field(default_factory=dict)

    def add_events(self, tagged: Iterable[tuple[datetime, Mapping[str, str]]], weight: float = 1.0) -> None:
        """Count events given as (timestamp, tags), each standing for ``weight`` events (a sampled
        batch; randomly rounded so the counts stay unbiased): one pass per (key, value)."""
        grouped: dict[tuple[str, str], list[int]] = {}
        for when, tags in tagged:
            seconds = _epoch(when)
            for key, value in tags.items():
                seen = grouped.setdefault((key, value), [0, seconds, seconds])
                seen[0] += 1
                seen[1], seen[2] = min(seen[1], seconds), max(seen[2], seconds)
        # the batch's most frequent values first: they take the free places, the rare ones compete
        for (key, value), (seen, first, last) in sorted(grouped.items(), key=lambda item: -item[1][0]):
            count = seen if weight == 1.0 else _weighted(seen, weight)
            counts = self.keys.get(key)
            if counts is None:
                if len(self.keys) >= MAX_KEYS:
                    continue
                counts = self.keys[key] = KeyCounts()
            capacity = TOP_ENVIRONMENTS if key == "environment" else TOP_VALUES
            counts.add(value, count, first, last, capacity)

    def values_of(self, key: str) -> list[str]:
        counts = self.keys.get(key)
        return [kept.value for kept in counts.values] if counts else []

    def newest_value(self, key: str) -> str | None:
        """The value of ``key`` seen last (ties: the greatest): the group's ``lastRelease``."""
        counts = self.keys.get(key)
        if not counts or not counts.values:
            return None
        return max(counts.values, key=lambda kept: (kept.last, kept.value)).value

    def to_bytes(self) -> bytes:
        body = {
            key: [counts.total, counts.first, counts.last, [kept.as_list() for kept in counts.values]]
            for key, counts in self.keys.items()
        }
        return zlib.compress(json.dumps(body, separators=(",", ":")).encode())

    @classmethod
    def from_bytes(cls, data: bytes | None) -> TagSummary:
        if not data:
            return cls()
        body = json.loads(zlib.decompress(data))
        return cls(
            {
                key: KeyCounts(total, first, last, [ValueCount(*kept) for kept in values])
                for key, (total, first, last, values) in body.items()
            }
        )
