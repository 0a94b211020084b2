"""TransactWriteItems for the issue rows that must change together (a group and its children)."""

from __future__ import annotations

from functools import lru_cache

from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from shared.config import settings


@lru_cache(maxsize=1)
def _connection() -> Connection:
    # One per process: a Connection owns a botocore client, which is costly to build per request.
    return Connection(region=settings().region)


def transaction() -> TransactWrite:
    """A TransactWriteItems builder: ``with transaction() as t: t.save(...)`` commits on exit.

    DynamoDB reports a cancellation per operation in the order deletes, puts, updates (PynamoDB
    groups them so), which is how callers map ``cancelled_by_condition`` back to their rows."""
    return TransactWrite(connection=_connection())
