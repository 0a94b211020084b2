"""Transactions and queries on moto in-process at the cost of the items they touch, for long
simulations.

moto backs up every table a ``TransactWriteItems`` names (a deep copy of the whole table) to roll a
refused transaction back. A storm writes thousands of transactions into a growing table, so each one
costs time in proportion to the table and leaves a table-sized garbage cycle behind: the simulation
slowed down and its memory grew past 2.5 GB. ``item_backups`` backs up only the items the
transaction names and restores those when it is refused, which is the same outcome (a transaction
only ever changes the items it names).

moto answers a Query of the table (not of an index) by sorting every item of the table and keeping
the partition's: each Query costs time in proportion to the table, and the ingestion ledger makes
two per issue and batch. ``partition_queries`` hands moto's query only the partition asked for
(in the same order), which is the same answer."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import moto.dynamodb.models as models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

Backup = tuple[Table, DynamoType, DynamoType | None, Any]


def _deepcopy_but_tables(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """moto's own table backup becomes a reference (its rollback then reassigns the same table)."""
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _backups(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[Backup]:
    saved: list[Backup] = []
    for entry in transact_items:
        _, operation = next(iter(entry.items()))
        table = backend.get_table(operation["TableName"])
        key = operation.get("Key") or operation["Item"]
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return saved


def _restore(saved: list[Backup]) -> None:
    for table, hash_key, range_key, item in reversed(saved):
        if range_key is None:
            table.items.pop(hash_key, None)
            if item is not None:
                table.items[hash_key] = item
        else:
            table.items[hash_key].pop(range_key, None)
            if item is not None:
                table.items[hash_key][range_key] = item


@contextmanager
def item_backups() -> Iterator[None]:
    """While the block runs, moto's transactions back up and restore only the items they name."""
    original = DynamoDBBackend.transact_write_items
    real_copy = models.copy

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = _backups(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            _restore(saved)
            raise

    models.copy = SimpleNamespace(deepcopy=_deepcopy_but_tables)  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
        models.copy = real_copy


@contextmanager
def partition_queries() -> Iterator[None]:
    """While the block runs, a Query of a table's partition looks at that partition's items only."""
    original = Table.query
    signature = inspect.signature(original)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        if bound.arguments.get("index_name") or not self.range_key_attr:
            return original(self, *args, **kwargs)
        partition = self.items.get(bound.arguments["hash_key"], {})
        self.all_items = lambda: sorted(partition.values(), key=lambda item: item.range_key)  # type: ignore[method-assign]
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query = original  # type: ignore[method-assign]
