"""Optimistic read-modify-write of one item that carries a ``version``: read it (consistently), make
the new item from what was read, put it on condition that the version is still the one read (or,
read absent, that it is still absent), and on a lost race pause a short random while and start
over. Concurrent batches merge into the same summary items (a group's tag summary, an hour's user
sketch) this way: a merge is recomputed from the winner's item, so nothing is lost."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pynamodb.exceptions import PutError

from shared.errors import Conflict
from shared.storage.base import condition_failed
from shared.storage.issues import IssueItem

# Each attempt lost a race to another writer of the same item; writers of one item are few (a
# batch merges all of its events into it at once), so running out means something is wrong.
MERGE_ATTEMPTS = 25
MERGE_PAUSE_SECONDS = 0.002

Row = TypeVar("Row", bound=IssueItem)


def merge_versioned(
    model: type[Row], key: tuple[str, str], change: Callable[[Row | None], Row | None], too_fast: Conflict
) -> None:
    """Write ``change(row read)`` (its ``version`` set to the next one) unless it is None (nothing
    to write); raises ``too_fast`` (the caller's words for its item) when every attempt lost."""
    versioned: Any = model
    for attempt in range(MERGE_ATTEMPTS):
        try:
            row: Row | None = model.get(*key, consistent_read=True)
        except model.DoesNotExist:
            row = None
        updated: Any = change(row)
        if updated is None:
            return
        version = int(getattr(row, "version", 0) or 0) if row is not None else 0
        updated.version = version + 1
        condition = versioned.version == version if row is not None else model.pk.does_not_exist()
        try:
            updated.save(condition=condition)
            return
        except PutError as error:
            if not condition_failed(error):
                raise
        time.sleep(random.uniform(0, MERGE_PAUSE_SECONDS * (attempt + 1)))
    raise too_fast
