"""Plain sequences for high-volume rows (groups, per-project short ids, commits).

Unlike snowflakes they are not limited to 16 ids per second: ``allocate(name, n)`` reserves ``n``
consecutive values with a single ``UpdateItem ADD n``, so a batch of a thousand rows costs one
counter request instead of a thousand.
"""

from __future__ import annotations

from shared.storage.counters import Counter


def allocate(name: str, count: int = 1) -> range:
    """Reserve ``count`` consecutive ids of sequence ``name`` (starting at 1) in one request."""
    if count < 1:
        raise ValueError("count must be at least 1")
    counter = Counter(pk=f"SEQ#{name}")
    counter.update(actions=[Counter.value.add(count)])
    last = int(counter.value)
    return range(last - count + 1, last + 1)
