"""What every table model shares: table metadata from config, the process's one connection, and
error and batch helpers."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from pynamodb.connection.table import TableConnection
from pynamodb.exceptions import PutError, TableError, TransactWriteError, UpdateError
from pynamodb.models import Model

from shared.config import settings
from shared.side_by_side import side_by_side_raising
from shared.storage.dynamodb import client, connection, max_attempts

CONDITIONAL_FAILED = "ConditionalCheckFailed"
BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100

T = TypeVar("T")


def table_meta(table_name: str) -> type:
    """A PynamoDB ``Meta`` for ``table_name``; the endpoint comes from ``AWS_ENDPOINT_URL``, the
    client's settings (retries included) from the process's connection (``TableModel``)."""

    class Meta:
        pass

    Meta.table_name = table_name
    Meta.region = settings().region
    Meta.max_retry_attempts = max_attempts()  # PynamoDB's resends of unprocessed batch items
    return Meta


_registering = threading.Lock()


class TableModel(Model):
    """Base of the table models: every model class sends its requests through the process's one
    PynamoDB connection (``shared.storage.dynamodb.connection``), so one botocore client serves them
    all. PynamoDB gives each model class a connection of its own, each building its own botocore
    session and client, and a new session parses DynamoDB's service model and endpoint files again
    (tens of milliseconds each): a request touching ten model classes paid that ten times.

    PynamoDB still builds the class's ``TableConnection`` (its table's key schema and indexes, from
    the class); only the connection under it is swapped for the shared one, which learns the table's
    schema once. The models of one table share their keys and indexes (the root class declares them),
    so one schema per table serves them all."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table = super()._get_connection()
        shared = connection()
        if table.connection is not shared:
            with _registering:
                try:
                    shared.get_meta_table(table.table_name)
                except TableError:
                    shared.add_meta_table(table.get_meta_table())
            table.connection = shared
        return table


# Built during the init phase (a Lambda environment's import of its handler), as AWS advises for SDK
# clients, not by the first request: a provisioned environment (``make run`` warms one of each
# function) then serves its first request as fast as the next, and the client exists before any
# request's worker threads could race to build it. See docs/decisions.md §storage.7.
client()


def utcnow() -> datetime:
    return datetime.now(UTC)


def condition_failed(error: PutError | UpdateError) -> bool:
    """True when a write was refused by its condition (the normal outcome of a lost race)."""
    return (error.cause_response_code or "").startswith(CONDITIONAL_FAILED)


def cancelled_by_condition(error: TransactWriteError) -> list[bool]:
    """For each operation of a cancelled transaction, whether its own condition failed."""
    reasons = error.cancellation_reasons or []
    return [bool(reason and reason.code.startswith(CONDITIONAL_FAILED)) for reason in reasons]


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Split ``items`` into lists of at most ``size`` (DynamoDB's batch limits are ours to respect)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def batch_get(model: type[Model], keys: list[Any], consistent_read: bool = False) -> list[Any]:
    """Read many items, 100 keys per request (side by side), preserving nothing but the items found."""
    chunks = dict(enumerate(chunked(keys, BATCH_GET_LIMIT)))
    read = side_by_side_raising(
        lambda i: list(model.batch_get(chunks[i], consistent_read=consistent_read)), chunks
    )
    return [item for part in read.values() for item in part]


def batch_get_items(keys: Iterable[tuple[type[Model], tuple[str, str]]]) -> dict[tuple[str, str], Any]:
    """Items of several tables in one BatchGetItem per ``BATCH_GET_LIMIT`` keys (PynamoDB's batch
    reads one table a request): each ``(model, (pk, sk))`` read, the items found by their key;
    unprocessed keys are asked for again."""
    found: dict[tuple[str, str], Any] = {}
    for chunk in chunked(list(dict.fromkeys(keys)), BATCH_GET_LIMIT):
        models: dict[str, type[Model]] = {}
        request: dict[str, Any] = {}
        for model, (pk, sk) in chunk:
            table = model.Meta.table_name
            models[table] = model
            request.setdefault(table, {"Keys": []})["Keys"].append({"pk": {"S": pk}, "sk": {"S": sk}})
        for _ in range(max_attempts()):
            answer = client().batch_get_item(RequestItems=request)
            for table, items in answer.get("Responses", {}).items():
                for raw in items:
                    item = models[table].from_raw_data(raw)
                    found[(item.pk, item.sk)] = item
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
    return found
