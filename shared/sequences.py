"""Plain sequences for high-volume rows (groups, per-project short ids, commits).

Unlike snowflakes they are not limited to 16 ids per second: ``allocate(name, n)`` reserves ``n``
consecutive values with a single ``UpdateItem ADD n``, so a batch of a thousand rows costs one
counter request instead of a thousand. A value reserved by a writer that then fails is a gap
(short ids have them too, as Sentry's per-project counter has).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from shared.storage.counters import Counter


def allocate(name: str, count: int = 1) -> range:
    """Reserve ``count`` consecutive ids of sequence ``name`` (starting at 1) in one request."""
    if count < 1:
        raise ValueError("count must be at least 1")
    counter = Counter(pk=f"SEQ#{name}")
    counter.update(actions=[Counter.value.add(count)])
    last = counter.value
    return range(last - count + 1, last + 1)


class BlockSequence:
    """Ids of one sequence handed out from a block this process reserved with one request.

    For rows created one at a time on a hot path (a new group per first event): a Lambda container
    reserves ``block_size`` ids per counter request. Ids stay unique across processes; a container
    that ends leaves its unused ids as a gap, which ids never promise not to have."""

    def __init__(self, name: str, block_size: int) -> None:
        self.name = name
        self.block_size = block_size
        self._lock = threading.Lock()
        self._ids: Iterator[int] = iter(())

    def next(self) -> int:
        [value] = self.take(1)
        return value

    def take(self, count: int) -> list[int]:
        """``count`` ids: what is left of the block, then, if that is not enough, one request for
        a new block large enough for the rest (a batch of new rows is one request, not one a block)."""
        with self._lock:
            ids = [value for _, value in zip(range(count), self._ids, strict=False)]
            if len(ids) < count:
                block = allocate(self.name, max(self.block_size, count - len(ids)))
                self._ids = iter(block)
                ids += [value for _, value in zip(range(count - len(ids)), self._ids, strict=False)]
            return ids
