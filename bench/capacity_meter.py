"""DynamoDB capacity per partition key, for a process running on moto in-process (``mock_aws``).

moto does not report consumed capacity, so the meter works it out the way DynamoDB bills it, from
item sizes it peeks at in moto's backend before and after each request:

- writes: ⌈size / 1 KB⌉ of the larger of the old and the new item (at least 1), doubled inside a
  transaction; a write refused by its condition still pays for the item it examined;
- reads: ⌈size / 4 KB⌉ (a Query sums the items it reads, filtered or not, before rounding), halved
  when eventually consistent, doubled inside a transaction;
- every global secondary index whose entry appears, disappears, moves (its keys change: a delete
  and a put) or changes its projected attributes pays a write of the entry's size.

Storage: every write's growth of its item (a new item counts 100 bytes of DynamoDB's overhead too)
times the months it is kept (until its ``expires_at``, else ``MONTHS_KEPT``), in
``Meter.stored_byte_months``.

Units are attributed to the partition key they land on (the table's, or the index's) and to the
current simulated second (``Meter.second``), so a benchmark can report the hottest key per second.
``Meter.weight`` multiplies what is charged: a sampled request standing for several alike ones
(a later batch of a second standing for all the later batches) is charged as all of them.
Hooks are botocore events registered on each DynamoDB client the process creates."""

from __future__ import annotations

import copy
import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.session import Session
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
READS = {"GetItem", "Query", "Scan"}
ITEM_OVERHEAD_BYTES = 100  # what DynamoDB adds to each item's stored size
MONTHS_KEPT = 12  # items without an expiry are priced for a year
SECONDS_PER_MONTH = 30 * 86400


@dataclass(frozen=True)
class Index:
    """A global secondary index as the template declares it."""

    name: str
    keys: tuple[str, ...]
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: tuple[str, ...] = ()


@dataclass
class Write:
    """One item written by a request: its table, key, the item before, and the unit multiplier."""

    table: str
    key: dict[str, Any]
    old: Item | None
    factor: int


def _item_size(item: Item | None, attributes: tuple[str, ...] | None = None) -> int:
    if item is None:
        return 0
    names = item.attrs.keys() if attributes is None else [a for a in attributes if a in item.attrs]
    return sum(len(name.encode()) + item.attrs[name].size() for name in names)


def _wire_size(attributes: dict[str, Any]) -> int:
    return sum(len(name.encode()) + DynamoType(value).size() for name, value in attributes.items())


# What a written item is, from its table's key values (partition, sort): a name for the figures.
Kind = Callable[[str, str | None], str]
INDEX_KIND = "index"


class Meter:
    """Read and write units per (table or table/index, partition key, simulated second); write units
    also per kind of item (``kind_of`` names a table item from its key; every index write is
    ``INDEX_KIND``)."""

    def __init__(
        self,
        region: str,
        tables: dict[str, tuple[tuple[str, ...], tuple[Index, ...]]],
        kind_of: Kind = lambda _pk, _sk: "other",
        lock: threading.RLock | None = None,
        refused: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        """``lock`` is held while the meter peeks at moto's items (the one concurrent writers
        share); ``refused(operation, parsed)`` sees every answer."""
        self._region = region
        self._tables = tables  # name → (table key attributes, indexes)
        self._kind_of = kind_of
        self.write_kinds: defaultdict[str, float] = defaultdict(float)
        self.second = 0
        self.weight = 1.0
        self.paused = False
        self.requests: defaultdict[str, float] = defaultdict(float)
        self.read_units: defaultdict[tuple[str, str, int], float] = defaultdict(float)
        self.write_units: defaultdict[tuple[str, str, int], float] = defaultdict(float)
        self.largest_item = 0
        self.stored_byte_months = 0.0
        self._lock = lock or threading.RLock()
        self._refused = refused
        self._raw = boto3.client("dynamodb", region_name=region)  # unmetered, for re-reading queries

    # -- installation -------------------------------------------------------------------------
    @contextmanager
    def installed(self) -> Iterator[Meter]:
        """Register the hooks on every DynamoDB client created while the block runs."""
        original = Session.create_client
        meter = self

        def create_client(session: Session, service_name: str, *args: Any, **kwargs: Any) -> Any:
            client = original(session, service_name, *args, **kwargs)
            if service_name == "dynamodb":
                client.meta.events.register("provide-client-params.dynamodb", meter._before)
                client.meta.events.register("after-call.dynamodb", meter._after)
            return client

        Session.create_client = create_client  # type: ignore[method-assign]
        try:
            yield self
        finally:
            Session.create_client = original  # type: ignore[method-assign]

    @contextmanager
    def pause(self) -> Iterator[None]:
        """Requests made inside the block are not metered (state set-up, fast-forwarded load)."""
        self.paused = True
        try:
            yield
        finally:
            self.paused = False

    # -- hooks --------------------------------------------------------------------------------
    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if self.paused:
            return
        context["meter_params"] = params
        with self._lock:
            context["meter_writes"] = [
                Write(table, key, self._snapshot(table, key), factor)
                for table, key, factor in self._written(model.name, params)
            ]

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if "meter_params" not in context:
            return
        params = context.pop("meter_params")
        if self._refused is not None:
            self._refused(model.name, parsed)
        with self._lock:
            self.requests[model.name] += self.weight
            for write in context.pop("meter_writes"):
                self._charge_write(write)
            self._charge_reads(model.name, params, parsed)

    # -- writes -------------------------------------------------------------------------------
    @staticmethod
    def _written(operation: str, params: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], int]]:
        if operation in WRITES:
            yield params["TableName"], params.get("Key") or params["Item"], 1
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    body = request.get("PutRequest") or request["DeleteRequest"]
                    yield table, body.get("Key") or body["Item"], 1
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((_, body),) = entry.items()
                yield body["TableName"], body.get("Key") or body["Item"], 2

    def _stored(self, table: str, key: dict[str, Any]) -> Item | None:
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][self._region].get_table(table)
        hash_key = DynamoType(key[backend.hash_key_attr])
        range_key = DynamoType(key[backend.range_key_attr]) if backend.range_key_attr else None
        return backend.get_item(hash_key, range_key)

    def _snapshot(self, table: str, key: dict[str, Any]) -> Item | None:
        item = self._stored(table, key)
        return copy.deepcopy(item) if item is not None else None

    def _charge_write(self, write: Write) -> None:
        table_keys, indexes = self._tables[write.table]
        new = self._stored(write.table, write.key)
        size = max(_item_size(write.old), _item_size(new))
        self.largest_item = max(self.largest_item, _item_size(new))
        self.stored_byte_months += self.weight * self._byte_months(write.old, new)
        partition = next(iter(write.key[table_keys[0]].values()))
        sort = next(iter(write.key[table_keys[1]].values())) if len(table_keys) > 1 else None
        units = self.weight * write.factor * max(1, math.ceil(size / WRITE_UNIT_BYTES))
        self.write_units[(write.table, partition, self.second)] += units
        self.write_kinds[self._kind_of(str(partition), None if sort is None else str(sort))] += units
        for index in indexes:
            for index_key, entry_size in self._index_writes(index, table_keys, write.old, new):
                units = self.weight * write.factor * max(1, math.ceil(entry_size / WRITE_UNIT_BYTES))
                self.write_units[(f"{write.table}/{index.name}", index_key, self.second)] += units
                self.write_kinds[INDEX_KIND] += units

    @staticmethod
    def _byte_months(old: Item | None, new: Item | None) -> float:
        """The storage a write adds, in byte-months: its growth for as long as the item is kept."""
        if new is None:
            return 0.0
        growth = _item_size(new) - _item_size(old) + (ITEM_OVERHEAD_BYTES if old is None else 0)
        if growth <= 0:
            return 0.0
        expires = new.attrs.get("expires_at")
        months = MONTHS_KEPT
        if expires is not None:
            months = max(0.0, float(expires.value) - time.time()) / SECONDS_PER_MONTH
        return growth * months

    @staticmethod
    def _index_writes(
        index: Index, table_keys: tuple[str, ...], old: Item | None, new: Item | None
    ) -> Iterator[tuple[str, int]]:
        """(index partition key, entry size) of each write the change makes to ``index``."""

        def entry(item: Item | None) -> tuple[tuple[Any, ...], int] | None:
            if item is None or any(key not in item.attrs for key in index.keys):
                return None
            projected = None if index.projection == "ALL" else (*table_keys, *index.keys, *index.included)
            keys = tuple(item.attrs[key].value for key in index.keys)
            return keys, _item_size(item, projected)

        before, after = entry(old), entry(new)
        if before is None and after is None:
            return
        if before is not None and after is not None and before[0] == after[0]:
            projected = None if index.projection == "ALL" else (*table_keys, *index.keys, *index.included)
            assert old is not None and new is not None
            if {k: old.attrs[k] for k in old.attrs if projected is None or k in projected} != {
                k: new.attrs[k] for k in new.attrs if projected is None or k in projected
            }:
                yield str(after[0][0]), max(before[1], after[1])
            return
        if before is not None:
            yield str(before[0][0]), before[1]
        if after is not None:
            yield str(after[0][0]), after[1]

    # -- reads --------------------------------------------------------------------------------
    def _charge_reads(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        if operation == "GetItem":
            item = self._stored(params["TableName"], params["Key"])
            self._read(params["TableName"], params["Key"], _item_size(item), params.get("ConsistentRead"))
        elif operation == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                for key in request["Keys"]:
                    item = self._stored(table, key)
                    self._read(table, key, _item_size(item), request.get("ConsistentRead"))
        elif operation == "TransactGetItems":
            for entry in params["TransactItems"]:
                body = entry["Get"]
                item = self._stored(body["TableName"], body["Key"])
                self._read(body["TableName"], body["Key"], _item_size(item), True, factor=2)
        elif operation == "Query":
            self._charge_query(params, parsed)

    def _read(
        self, table: str, key: dict[str, Any], size: int, consistent: bool | None, factor: int = 1
    ) -> None:
        table_keys, _ = self._tables[table]
        partition = next(iter(key[table_keys[0]].values()))
        units = self.weight * factor * max(1, math.ceil(size / READ_UNIT_BYTES)) * (1 if consistent else 0.5)
        self.read_units[(table, partition, self.second)] += units

    def _charge_query(self, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        """A Query reads every item its key condition selects (a filter only drops them after):
        without a filter or projection the answer is what was read, else it is read again unmetered."""
        items = parsed.get("Items", [])
        if any(name in params for name in ("FilterExpression", "ProjectionExpression", "Select")):
            plain = {
                name: value
                for name, value in params.items()
                if name not in ("FilterExpression", "ProjectionExpression", "Select")
            }
            names = plain.get("ExpressionAttributeNames", {})
            values = plain.get("ExpressionAttributeValues", {})
            used = plain["KeyConditionExpression"]
            plain["ExpressionAttributeNames"] = {k: v for k, v in names.items() if k in used}
            plain["ExpressionAttributeValues"] = {k: v for k, v in values.items() if k in used}
            for name in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
                if not plain[name]:
                    del plain[name]
            items = self._raw.query(**plain).get("Items", [])
        size = sum(_wire_size(item) for item in items)
        table = params["TableName"]
        scope = f"{table}/{params['IndexName']}" if "IndexName" in params else table
        partition = self._query_partition(params)
        units = (
            self.weight
            * max(1, math.ceil(size / READ_UNIT_BYTES))
            * (0.5 + 0.5 * bool(params.get("ConsistentRead")))
        )
        self.read_units[(scope, str(partition), self.second)] += units

    def _query_partition(self, params: dict[str, Any]) -> str:
        """The partition key value a Query's key condition names (``#n = :v``)."""
        table_keys, indexes = self._tables[params["TableName"]]
        index = next((i for i in indexes if i.name == params.get("IndexName")), None)
        attribute = index.keys[0] if index else table_keys[0]
        names = {v: k for k, v in params.get("ExpressionAttributeNames", {}).items()}
        name = re.escape(names.get(attribute, attribute))
        match = re.search(rf"{name}\s*=\s*(:\w+)", params["KeyConditionExpression"])
        value = params["ExpressionAttributeValues"][match.group(1)] if match else {"?": "?"}
        return str(next(iter(value.values())))

    # -- figures ------------------------------------------------------------------------------
    def totals(self) -> tuple[float, float, float]:
        """Read units, write units and requests so far."""
        return sum(self.read_units.values()), sum(self.write_units.values()), sum(self.requests.values())

    def peak(self, units: dict[tuple[str, str, int], float], index: bool) -> tuple[float, str]:
        """The highest units on one key in one simulated second, on the table's keys or on the
        indexes' keys, and that key."""
        best = (0.0, "")
        for (scope, key, _), value in units.items():
            if ("/" in scope) == index and value > best[0]:
                best = (value, f"{scope}:{key}")
        return best

    def reset(self) -> None:
        self.requests.clear()
        self.read_units.clear()
        self.write_units.clear()
        self.write_kinds.clear()
        self.largest_item = 0
        self.stored_byte_months = 0.0
