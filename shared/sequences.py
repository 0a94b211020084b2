"""Plain sequences for high-volume rows (groups, per-project short ids, commits).

Unlike snowflakes they are not limited to 16 ids per second: ``allocate(name, n)`` reserves ``n``
consecutive values with a single ``UpdateItem ADD n``, so a batch of a thousand rows costs one
counter request instead of a thousand. A value reserved by a writer that then fails is a gap;
``claim_next`` is for numbers that must have none (short ids): the counter moves in the writer's
own transaction, so a value is used exactly when the row that carries it is written.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from pynamodb.transactions import TransactWrite

from shared.storage.counters import Counter


def allocate(name: str, count: int = 1) -> range:
    """Reserve ``count`` consecutive ids of sequence ``name`` (starting at 1) in one request."""
    if count < 1:
        raise ValueError("count must be at least 1")
    counter = Counter(pk=f"SEQ#{name}")
    counter.update(actions=[Counter.value.add(count)])
    last = int(counter.value)
    return range(last - count + 1, last + 1)


def claim_next(write: TransactWrite, name: str) -> int:
    """The next value of sequence ``name``, taken by adding to ``write`` an update of the counter
    on condition it still holds the value read now. If that condition cancels the transaction,
    another writer took the value: the caller reads again and retries."""
    try:
        current = int(Counter.get(f"SEQ#{name}", consistent_read=True).value)
    except Counter.DoesNotExist:
        current = 0
    unchanged = Counter.value == current if current else Counter.value.does_not_exist()
    write.update(Counter(pk=f"SEQ#{name}"), actions=[Counter.value.set(current + 1)], condition=unchanged)
    return current + 1


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
        with self._lock:
            value = next(self._ids, None)
            if value is not None:
                return value
            block = allocate(self.name, self.block_size)
            self._ids = iter(block[1:])
            return block[0]
