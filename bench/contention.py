"""Concurrent writers on moto in-process, as DynamoDB serves them: each request atomic, and a
transaction's items held for as long as a transaction takes, so that concurrent batches meet the
conflicts they would meet on AWS.

moto applies a request in Python with no lock of its own; threads running batches side by side
would interleave inside its backend. ``Contention.installed`` makes every DynamoDB request on moto
atomic (one lock around moto's handling of it, and around the meter's peeks at its items) and
models DynamoDB's transaction conflicts: a ``TransactWriteItems`` keeps its items for
``hold_seconds`` after it applied (the transaction's latency on DynamoDB, its caller waits as
long); within that time another thread's transaction naming one of them is cancelled with a
``TransactionConflict`` reason (the SDK's retry policy resends it, ``shared.storage.dynamodb``), and
another thread's ``PutItem``/``UpdateItem``/``DeleteItem`` of one of them fails with
``TransactionConflictException``. Every refusal is counted with the write units the refused
request was charged (a cancelled transaction pays its items, doubled, as the meter prices them):
conflicts by operation, and refused conditions (``ConditionalCheckFailed``, the code's own
optimistic checks) by operation."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.exceptions import DynamodbException, TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler

WRITE_UNIT_BYTES = 1024
# A TransactWriteItems of a few items takes 10-30 ms on DynamoDB (its two phases); moto takes a
# few milliseconds per request here, about what DynamoDB takes for a single write.
HOLD_SECONDS = 0.02


class TransactionConflictException(DynamodbException):
    error_type = "com.amazonaws.dynamodb.v20120810#TransactionConflictException"

    def __init__(self) -> None:
        super().__init__(self.error_type, "Transaction is ongoing for the item")


def _key_of(table: str, key: dict[str, Any]) -> tuple[str, str]:
    return table, repr(sorted((name, repr(value)) for name, value in key.items()))


class Contention:
    """The lock, the held items and the counts of refusals (``figures``)."""

    def __init__(self, hold_seconds: float = HOLD_SECONDS) -> None:
        self.lock = threading.RLock()
        self.hold_seconds = hold_seconds
        self._held: dict[tuple[str, str], tuple[int, float]] = {}
        self.conflicts: defaultdict[str, int] = defaultdict(int)
        self.conflict_write_units = 0.0
        self.refused_conditions: defaultdict[str, int] = defaultdict(int)
        self.weight = 1.0  # as the meter's: a sampled batch standing for several

    # -- the model ------------------------------------------------------------------------------
    def _holder(self, key: tuple[str, str]) -> int | None:
        holder = self._held.get(key)
        if holder is None:
            return None
        thread, until = holder
        if until < time.monotonic():
            del self._held[key]
            return None
        return thread if thread != threading.get_ident() else None

    def _item_units(self, backend: DynamoDBBackend, table: str, key: dict[str, Any]) -> int:
        stored = backend.get_table(table)
        hash_key = stored.hash_key_attr
        range_key = stored.range_key_attr
        from moto.dynamodb.models.dynamo_type import DynamoType

        item = stored.get_item(DynamoType(key[hash_key]), DynamoType(key[range_key]) if range_key else None)
        size = 0 if item is None else item.size()
        return max(1, math.ceil(size / WRITE_UNIT_BYTES))

    def transact(self, backend: DynamoDBBackend, original: Any, items: list[dict[str, Any]]) -> None:
        named = []
        for entry in items:
            ((_, body),) = entry.items()
            named.append((body["TableName"], body.get("Key") or body["Item"]))
        keys = [_key_of(table, key) for table, key in named]
        if any(self._holder(key) is not None for key in keys):
            self.conflicts["TransactWriteItems"] += 1
            self.conflict_write_units += self.weight * sum(
                2 * self._item_units(backend, table, key) for table, key in named
            )
            raise TransactionCanceledException(
                [("TransactionConflict", "Transaction is ongoing for the item", None)] * len(items)
            )
        original(backend, items)
        until = time.monotonic() + self.hold_seconds
        for key in keys:
            self._held[key] = (threading.get_ident(), until)

    def single(self, backend: DynamoDBBackend, operation: str, table: str, key: dict[str, Any]) -> None:
        if self._holder(_key_of(table, key)) is not None:
            self.conflicts[operation] += 1
            self.conflict_write_units += self.weight * self._item_units(backend, table, key)
            raise TransactionConflictException()

    def refused(self, operation: str, parsed: dict[str, Any]) -> None:
        """Count a request refused by its own condition (the after-call hook's answer)."""
        error = parsed.get("Error", {}).get("Code", "")
        reasons = [r.get("Code") for r in parsed.get("CancellationReasons", [])]
        if "ConditionalCheckFailed" in error or "ConditionalCheckFailed" in reasons:
            self.refused_conditions[operation] += 1

    def figures(self) -> dict[str, Any]:
        return {
            "conflicts": dict(self.conflicts),
            "conflict_write_units": round(self.conflict_write_units, 1),
            "refused_conditions": dict(self.refused_conditions),
        }

    # -- installation ---------------------------------------------------------------------------
    @contextmanager
    def installed(self) -> Iterator[Contention]:
        """Patch moto's DynamoDB handler and backend for the block."""
        contention = self
        call_action = DynamoHandler.call_action
        transact = DynamoDBBackend.transact_write_items
        singles = {
            name: getattr(DynamoDBBackend, name) for name in ("put_item", "update_item", "delete_item")
        }

        def atomic_call(handler: DynamoHandler) -> Any:
            with contention.lock:
                answer = call_action(handler)
            if handler._get_action() == "TransactWriteItems":
                time.sleep(contention.hold_seconds)  # its caller waits for both phases
            return answer

        def held_transact(backend: DynamoDBBackend, items: list[dict[str, Any]]) -> None:
            contention.transact(backend, transact, items)

        def checked(name: str) -> Any:
            original = singles[name]

            def write(backend: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
                key = kwargs.get("key") or kwargs.get("item_attrs") or args[0]
                table = backend.get_table(table_name)
                names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
                contention.single(backend, name, table_name, {n: key[n] for n in names})
                return original(backend, table_name, *args, **kwargs)

            return write

        DynamoHandler.call_action = atomic_call  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items = held_transact  # type: ignore[method-assign]
        for name in singles:
            setattr(DynamoDBBackend, name, checked(name))
        try:
            yield self
        finally:
            DynamoHandler.call_action = call_action  # type: ignore[method-assign]
            DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
            for name, original in singles.items():
                setattr(DynamoDBBackend, name, original)
