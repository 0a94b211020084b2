"""Where moto's cost grows with the data it holds, and the fix: each request at the cost of what it
names, with moto's own outcome.

- **Transactions**: for rollback, ``TransactWriteItems`` deep-copies every table it names (once per
  item), so each transaction costs time in proportion to the tables and leaves a table-sized
  garbage cycle behind: a new issue (a transaction over the issues table) took 0.1-0.5 s once the
  table held a few thousand items, and a long simulation grew past 2.5 GB. ``item_backups`` backs
  up only the items the transaction names and restores those when it is refused, which is the same
  outcome (a transaction only ever changes the items it names).
- **SQS receive**: for every message handed out, moto checks its retention period through
  ``get_queue_attributes``, which recomputes all of the queue's attributes, three counts over every
  message among them, three times: a receive of 10 from a queue of n messages cost 90 passes over
  n. Here the retention period is read from the queue itself, and ``GetQueueAttributes`` builds the
  attributes once per request rather than twice per name asked. And every message's ``visible`` and
  ``delayed`` read the clock through a ``datetime`` round trip (with an import on each call): SQS
  reads it from ``time.time()`` here, which is the same number.
- **SQS delete**: moto finds the message of a receipt handle by listing every handle of every
  queued message, twice, per handle deleted: a batch delete of 10 from a queue of n messages built
  20 n lists. Here one pass compares each message's handles in place, with moto's outcome (a handle
  already deleted is accepted, one no message ever had is refused, the message that had it goes).
  And each message handed out gets a new receipt handle of 185 random letters, drawn one call at a
  time; here they are drawn in one call, from the same letters and the same random source.
- **SQS send**: to learn whether a queue deduplicates by content, moto's ``SendMessage`` reads all
  of the queue's attributes, three counts over every message among them; only FIFO queues have the
  setting, so a send to a standard queue runs with the attributes it reads empty (swapped in for the
  length of the call, under the server's lock), which is the same outcome at a constant cost.
- **Queries**: moto answers a Query of a table (not of an index) by sorting every item of the table
  and keeping the partition's, so each Query costs time in proportion to the table (the ingestion
  ledger makes two per issue and batch). ``partition_queries`` hands moto's query only the
  partition asked for, in the same order, which is the same answer. It swaps the table's item
  listing for the length of one call, so it relies on requests being served one at a time (the
  moto server's lock; the storm simulation is single-threaded).
- **Item responses**: moto serializes every response by walking botocore's output shape, a
  dozen Python calls per attribute of every item (about 2 ms per index entry of five attributes:
  an issue-list page that reads 1,600 entries spent 5 s in it). A DynamoDB ``AttributeValue`` is
  already in its wire form after moto's own conversion, except binary values, so ``attribute_values``
  writes each one as it stands, with binaries base64-encoded as the shape walk encodes them: the
  same JSON, at the cost of a copy.
- **Dispatch**: the server lists moto's package folder on disk (one ``isdir`` per service) for
  every request to find the service; the listing does not change while it runs, so it is read once.

The moto server (``local.moto_server``) installs them all for its lifetime; the in-process storm
simulation (``bench/scale.py``) takes ``item_backups`` and ``partition_queries`` for the length of
its run."""

from __future__ import annotations

import base64
import bisect
import copy
import functools
import inspect
import string
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import moto.backends as moto_backends
import moto.core.responses as moto_responses
import moto.core.serialize as moto_serialize
import moto.core.utils as moto_utils
import moto.dynamodb.models as dynamodb_models
import moto.dynamodb.models.table as table_models
import moto.sqs.models as sqs_models
from moto.dynamodb.comparisons import OpDefault
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.moto_api._internal import mock_random
from moto.sqs.exceptions import ReceiptHandleIsInvalid
from moto.sqs.models import Message, Queue, SQSBackend

RECEIPT_HANDLE_LENGTH = 185
Backup = tuple[Table, DynamoType, DynamoType | None, Any]


def _deepcopy_but_tables(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """moto's own table backup becomes a reference (its rollback then reassigns the same table)."""
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _backups(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[Backup]:
    """A copy of every item the transaction names, as it is before it runs. An operation whose table
    or key moto cannot resolve is skipped: moto refuses it before it changes anything."""
    saved: list[Backup] = []
    for entry in transact_items:
        try:
            _, operation = next(iter(entry.items()))
            table = backend.get_table(operation["TableName"])
            key = operation.get("Key") or operation["Item"]
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        except Exception:  # an unknown table, a missing key: moto refuses it before any change
            continue
        saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return saved


def _restore(saved: list[Backup]) -> None:
    for table, hash_key, range_key, item in reversed(saved):
        if range_key is None:
            table.items.pop(hash_key, None)
            if item is not None:
                table.items[hash_key] = item
        else:
            table.items.setdefault(hash_key, {}).pop(range_key, None)
            if item is not None:
                table.items[hash_key][range_key] = item
            if not table.items[hash_key]:
                del table.items[hash_key]


def _transact_write_items(original: Any) -> Any:
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = _backups(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            _restore(saved)
            raise

    return transact_write_items


def _use_item_backups() -> Callable[[], None]:
    """Make moto's transactions back up only the items they name; returns what undoes it."""
    original = DynamoDBBackend.transact_write_items
    real_copy = dynamodb_models.copy
    dynamodb_models.copy = SimpleNamespace(deepcopy=_deepcopy_but_tables)  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = _transact_write_items(original)  # type: ignore[method-assign]

    def undo() -> None:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
        dynamodb_models.copy = real_copy

    return undo


@contextmanager
def _while_block_runs(use: Callable[[], Callable[[], None]]) -> Iterator[None]:
    undo = use()
    try:
        yield
    finally:
        undo()


def item_backups() -> AbstractContextManager[None]:
    """While the block runs, moto's transactions back up and restore only the items they name."""
    return _while_block_runs(_use_item_backups)


def _native(value: DynamoType) -> tuple[str, Any]:
    """A key attribute as a plain Python value that sorts as moto's ``DynamoType`` does."""
    return value.type, value.cast_value


def _sorted_items(
    self: Table, hash_attrs: list[str], range_attrs: list[str | None], items: list[Any]
) -> list[Any]:
    """moto's ``sorted_items`` (the same attributes, the same order) on plain values."""
    names = self._generate_attr_to_sort_by(hash_attrs, range_attrs)
    items.sort(key=lambda item: tuple(_native(item.attrs[name]) for name in names))
    return items


# Index partitions as sorted lists of projected items, by (table, index, hash key), until any write.
_index_cache: dict[tuple[int, str, tuple[str, Any]], tuple[list[tuple[Any, ...]], list[Any]]] = {}
_WRITES = (
    *("put_item", "update_item", "delete_item", "transact_write_items", "update_table", "delete_table"),
    *("execute_statement", "execute_transaction", "batch_execute_statement"),
)


def _index_partition(
    table: Table, index_name: str, hash_value: DynamoType
) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """The items an index Query can answer from, in moto's order (index keys, then the table's):
    those whose index hash key is ``hash_value`` and that hold every index key, cut down to the
    index's projection once, so moto answers from them as they are (its own projection copied
    every item it returned, again on each Query); with their sort keys. Kept until the next write
    to any table."""
    expected = _native(hash_value)
    cached = _index_cache.get((id(table), index_name, expected))
    if cached is not None:
        return cached
    index = table.get_index(index_name)
    keys = [k["AttributeName"] for k in sorted(index.schema, key=lambda k: k["KeyType"] != "HASH")]
    names = [*keys, *table.table_key_attrs]
    projection = index.projection or {}
    kind = projection.get("ProjectionType", "ALL")
    wanted = None if kind == "ALL" else {*names, *projection.get("NonKeyAttributes", [])}
    found = []
    for partition in table.items.values():
        for item in partition.values() if table.range_key_attr else [partition]:
            value = item.attrs.get(keys[0])
            if value is None or _native(value) != expected or not all(item.attrs.get(k) for k in keys):
                continue
            if wanted is not None:
                projected = Item.__new__(Item)
                projected.hash_key, projected.range_key = item.hash_key, item.range_key
                projected.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
                dict.update(projected.attrs, {name: v for name, v in item.attrs.items() if name in wanted})
                item = projected
            found.append((tuple(_native(item.attrs[name]) for name in names), item))
    found.sort(key=lambda pair: pair[0])
    result = ([key for key, _ in found], [item for _, item in found])
    _index_cache[(id(table), index_name, expected)] = result
    return result


def _window(
    table: Table, index_name: str, keys: list[tuple[Any, ...]], items: list[Any], query: Any
) -> list[Any]:
    """The part of a sorted index partition a plain Query (no key range, no filter) with a
    ``Limit`` can return: the ``Limit + 1`` items past its start key in its direction (moto then
    sees one more than it returns, so it answers ``LastEvaluatedKey`` as it would); anything else
    gets the whole partition."""
    args = query.arguments
    limit = args.get("limit")
    plain = not (
        args.get("range_comparison")
        or args.get("range_key_conditions")
        or not isinstance(args.get("filter_expression"), OpDefault | None)
        or args.get("filter_kwargs")
    )
    if not plain or not limit:
        return items
    start = args.get("exclusive_start_key")
    forward = args.get("scan_index_forward", True) is not False
    index = table.get_index(index_name)
    names = [k["AttributeName"] for k in sorted(index.schema, key=lambda k: k["KeyType"] != "HASH")]
    if start and not set(start) >= {*names, *table.table_key_attrs}:
        return items
    if start:
        at = tuple(_native(DynamoType(start[name])) for name in [*names, *table.table_key_attrs])
        if forward:
            first = bisect.bisect_right(keys, at)
            return items[first : first + limit + 1]
        last = bisect.bisect_left(keys, at)
        return items[max(0, last - limit - 1) : last]
    return items[: limit + 1] if forward else items[max(0, len(items) - limit - 1) :]


_SHALLOW = SimpleNamespace(deepcopy=list)


def _clears_index_cache(original: Any) -> Any:
    def write(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        finally:
            _index_cache.clear()

    return write


def _use_partition_queries() -> Callable[[], None]:
    """Make a Query of a table's (or an index's) partition look at that partition's items only;
    returns the undo."""
    original = Table.query
    original_sort = Table.sorted_items
    originals = {name: getattr(DynamoDBBackend, name) for name in _WRITES}
    signature = inspect.signature(original)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        index_name = bound.arguments.get("index_name")
        if index_name:
            conditions = bound.arguments.get("hash_key_conditions") or []
            hashes = [k for k in self.get_index(index_name).schema if k["KeyType"] == "HASH"]
            if len(conditions) != 1 or len(hashes) != 1:
                return original(self, *args, **kwargs)
            keys, items = _index_partition(self, index_name, conditions[0][1])
            window = _window(self, index_name, keys, items, bound)
            self.all_items = lambda: window  # type: ignore[method-assign]
            # the partition's items are copies projected already: moto would copy and project each
            # again (nothing changes what a Query returns before it is written out)
            index = self.get_index(index_name)
            index.project = lambda item: item  # type: ignore[method-assign]
            table_models.copy = _SHALLOW
            try:
                return original(self, *args, **kwargs)
            finally:
                table_models.copy = copy
                del self.all_items
                del index.project
        elif self.range_key_attr:
            rows = self.items.get(bound.arguments["hash_key"], {})
            self.all_items = lambda: sorted(rows.values(), key=lambda item: item.range_key)  # type: ignore[method-assign]
        else:
            return original(self, *args, **kwargs)
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]
    Table.sorted_items = _sorted_items  # type: ignore[method-assign]
    for name, write in originals.items():
        setattr(DynamoDBBackend, name, _clears_index_cache(write))

    def undo() -> None:
        Table.query = original  # type: ignore[method-assign]
        Table.sorted_items = original_sort  # type: ignore[method-assign]
        for name, write in originals.items():
            setattr(DynamoDBBackend, name, write)
        _index_cache.clear()

    return undo


def partition_queries() -> AbstractContextManager[None]:
    """While the block runs, a Query of a table's partition looks at that partition's items only."""
    return _while_block_runs(_use_partition_queries)


def _within_retention(self: SQSBackend, queue_name: str, message: Message) -> bool:
    """moto's rule (kept until sent + the queue's retention period), read from the queue itself."""
    queue = self.get_queue(queue_name)
    return int(queue.message_retention_period) + message.sent_timestamp / 1000 > time.time()  # type: ignore[operator]


def _attributes_once(original: Any) -> Any:
    """moto's ``get_queue_attributes`` (its validation and errors), building the attributes once."""

    def get_queue_attributes(self: SQSBackend, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        queue = self.get_queue(queue_name)
        valid = {"All", *queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES}
        if not attribute_names or "All" in attribute_names or not valid.issuperset(attribute_names):
            return original(self, queue_name, attribute_names)  # moto's own answer or error
        found = queue.attributes
        return {name: found[name] for name in attribute_names if found.get(name) is not None}

    return get_queue_attributes


def _delete_message(self: Queue, receipt_handle: str) -> None:
    """moto's ``Queue.delete_message`` in one pass over the queue."""
    if receipt_handle in self.deleted_messages:
        return
    kept: list[Message] = []
    gone: list[Message] = []
    for message in self._messages:
        had = receipt_handle == message.receipt_handle or receipt_handle in message._old_receipt_handles
        (gone if had else kept).append(message)
    if not gone:
        raise ReceiptHandleIsInvalid()
    for message in gone:
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)
    self._messages = kept


def _receipt_handle() -> str:
    """moto's receipt handle (185 lowercase letters from its random source), drawn in one call."""
    return "".join(mock_random.choices(string.ascii_lowercase, k=RECEIPT_HANDLE_LENGTH))


def _no_attributes(queue: Queue) -> dict[str, Any]:
    """A standard queue's attributes as ``SendMessage`` reads them: none of its FIFO settings."""
    return {}


def _standard_sends(original: Any) -> Any:
    """moto's ``send_message``, which reads a standard queue's attributes as none at all."""

    def send_message(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Message:
        if self.get_queue(queue_name).fifo_queue:
            return original(self, queue_name, *args, **kwargs)
        counted = Queue.attributes
        Queue.attributes = property(_no_attributes)  # type: ignore[assignment,method-assign]
        try:
            return original(self, queue_name, *args, **kwargs)
        finally:
            Queue.attributes = counted  # type: ignore[method-assign]

    return send_message


def _seconds(dt: datetime | None = None) -> float:
    """moto's ``unix_time``: seconds since the epoch of ``dt`` (naive UTC), else of now."""
    return time.time() if dt is None else moto_utils.unix_time(dt)


def _milliseconds(dt: datetime | None = None) -> float:
    return _seconds(dt) * 1000.0


_BINARY = {"B": lambda v: _base64(v), "BS": lambda v: [_base64(b) for b in v]}


def _base64(value: bytes | str) -> str:
    """A binary as the shape walk writes it (``ResponseSerializer._base64``)."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return base64.b64encode(raw).strip().decode("utf-8")


def _attribute_value(value: dict[str, Any]) -> dict[str, Any]:
    """One DynamoDB ``AttributeValue`` in its JSON form (absent members left out, as the walk does)."""
    out: dict[str, Any] = {}
    for kind, held in value.items():
        if held is None:
            continue
        if kind in _BINARY:
            out[kind] = _BINARY[kind](held)
        elif kind == "M":
            out[kind] = {name: _attribute_value(member) for name, member in held.items()}
        elif kind == "L":
            out[kind] = [_attribute_value(member) for member in held]
        else:
            out[kind] = held
    return out


def _attribute_values(original: Any) -> Any:
    def serialize(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.name == "AttributeValue" and key and isinstance(value, dict):
            serialized[key] = _attribute_value(value)
            return
        original(self, serialized, value, shape, key)

    return serialize


def _use_attribute_values() -> Callable[[], None]:
    """Write DynamoDB attribute values as they stand; returns the undo."""
    original = moto_serialize.BaseJSONSerializer._serialize_type_structure
    moto_serialize.BaseJSONSerializer._serialize_type_structure = _attribute_values(original)  # type: ignore[method-assign]

    def undo() -> None:
        moto_serialize.BaseJSONSerializer._serialize_type_structure = original  # type: ignore[method-assign]

    return undo


def attribute_values() -> AbstractContextManager[None]:
    """While the block runs, DynamoDB attribute values are written as they stand."""
    return _while_block_runs(_use_attribute_values)


def install() -> None:
    """Every fix above, for the rest of this process (the moto server's): call it once, at start."""
    _use_item_backups()
    _use_partition_queries()
    _use_attribute_values()
    sqs_models.unix_time, sqs_models.unix_time_millis = _seconds, _milliseconds
    SQSBackend.is_message_valid_based_on_retention_period = _within_retention  # type: ignore[method-assign]
    SQSBackend.get_queue_attributes = _attributes_once(SQSBackend.get_queue_attributes)  # type: ignore[method-assign]
    SQSBackend.send_message = _standard_sends(SQSBackend.send_message)  # type: ignore[method-assign]
    Queue.delete_message = _delete_message  # type: ignore[method-assign]
    sqs_models.generate_receipt_handle = _receipt_handle
    moto_backends.list_of_moto_modules = functools.cache(  # type: ignore[assignment]
        lambda listed=moto_backends.list_of_moto_modules: tuple(listed())
    )
    moto_responses.method_names_from_class = functools.cache(moto_responses.method_names_from_class)
