"""TransactWriteItems for the issue rows that must change together (a group and its children)."""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from shared.storage.dynamodb import connection


def transaction() -> TransactWrite:
    """A TransactWriteItems builder: ``with transaction() as t: t.save(...)`` commits on exit.

    DynamoDB reports a cancellation per operation in the order deletes, puts, updates (PynamoDB
    groups them so), which is how callers map ``cancelled_by_condition`` back to their rows."""
    return TransactWrite(connection=connection())
