"""What every table model shares: table metadata from config, key attributes and error helpers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.models import Model

from shared.config import settings
from shared.storage.dynamodb import max_attempts, retry_configuration

CONDITIONAL_FAILED = "ConditionalCheckFailed"
BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100

T = TypeVar("T")


def table_meta(table_name: str) -> type:
    """A PynamoDB ``Meta`` for ``table_name``; the endpoint comes from ``AWS_ENDPOINT_URL``."""

    class Meta:
        pass

    Meta.table_name = table_name
    Meta.region = settings().region
    Meta.retry_configuration = retry_configuration()
    Meta.max_retry_attempts = max_attempts()  # PynamoDB's resends of unprocessed batch items
    return Meta


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
    """Read many items, 100 keys per request, preserving nothing but the items found."""
    found: list[Any] = []
    for chunk in chunked(keys, BATCH_GET_LIMIT):
        found.extend(model.batch_get(chunk, consistent_read=consistent_read))
    return found
