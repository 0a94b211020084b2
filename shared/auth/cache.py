"""A container's short memory of who its callers are.

Every authenticated call needs the token, the organization and the caller's membership; reading
them each time costs three to four GetItems before the call starts its work. A Lambda container
serves many calls in a row, so it remembers what it read for ``AUTH_CACHE_SECONDS`` (default 10):
a revoked token, a removed member or a changed role stops working within that time, and the first
call of a container pays the full cost. Only what was found is remembered: an unknown token or a
missing membership is read again on every call, so a token or member just added works at once and
guessed tokens cannot fill the memory. The setting is read at call time so that it can be changed
without code (0 turns the memory off).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

TTL_VARIABLE = "AUTH_CACHE_SECONDS"
DEFAULT_TTL_SECONDS = 10.0
MAX_ENTRIES = 4096

T = TypeVar("T")


def ttl_seconds() -> float:
    """How long a remembered value stays good; a malformed setting falls back to the default."""
    value = os.environ.get(TTL_VARIABLE, "").strip()
    try:
        return max(0.0, float(value)) if value else DEFAULT_TTL_SECONDS
    except ValueError:
        return DEFAULT_TTL_SECONDS


class TtlCache:
    """Values found by a loader, each kept for the TTL in force when it is asked for again."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[float, object]] = {}

    def get(self, key: Hashable, load: Callable[[], T | None]) -> T | None:
        """The remembered value for ``key`` while fresh, else ``load()`` (remembered unless ``None``)."""
        ttl = ttl_seconds()
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < ttl:
            return entry[1]  # type: ignore[return-value]
        value = load()
        if value is None or ttl <= 0:
            self._entries.pop(key, None)
            return value
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))  # the oldest insertion goes first
        self._entries[key] = (now, value)
        return value


tokens: TtlCache = TtlCache()
project_keys: TtlCache = TtlCache()  # DSN public key -> ProjectKey, for the ingestion edge
organizations: TtlCache = TtlCache()
members: TtlCache = TtlCache()
