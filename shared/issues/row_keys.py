"""Keys of issue-table rows read without PynamoDB's model layer.

A model Query filters on the ``kind`` values of the subclasses imported in the process, so a row of a
kind the deletion worker never imported would be skipped, and index entries (which carry no
``kind``) would be dropped. Deletion must see every row, so it reads bare keys here; the issue
lists read index entries here too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared.config import settings
from shared.storage.dynamodb import client

Key = tuple[str, str]
# Doubling: a reader that needs n items reads fewer than 2n (a filter selecting 1 % read 8,500 index
# entries for the 2,500 it needed with fourfold pages), at one more Query per doubling.
PAGE_GROWTH = 2


def _items(first: int | None = None, **query: Any) -> Iterator[dict[str, Any]]:
    """The Query's items, page by page as they are consumed: 1 MB pages, or, given ``first`` (the
    items the reader expects to need), a first page of that many and each next one
    ``PAGE_GROWTH`` times the last, so a reader that stops early never pays for 1 MB pages."""
    limit = first
    while True:
        page = client().query(
            TableName=settings().issues_table, **query, **({"Limit": limit} if limit else {})
        )
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        limit = limit * PAGE_GROWTH if limit else None


def _keys(**query: Any) -> Iterator[Key]:
    for item in _items(**query):
        yield item["pk"]["S"], item["sk"]["S"]


def partition_keys(pk: str, sk_prefix: str | None = None) -> Iterator[Key]:
    """Every row key of partition ``pk`` (optionally only sort keys starting with ``sk_prefix``),
    in sort order, one strongly consistent Query page (1 MB) at a time."""
    condition = "pk = :pk"
    values: dict[str, Any] = {":pk": {"S": pk}}
    if sk_prefix is not None:
        condition += " AND begins_with(sk, :prefix)"
        values[":prefix"] = {"S": sk_prefix}
    return _keys(
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        ProjectionExpression="pk, sk",
        ConsistentRead=True,
    )


def index_keys(
    index_name: str, hash_attr: str, hash_value: str, range_attr: str, below: str
) -> Iterator[Key]:
    """Table keys of the entries of an index partition whose sort key is below ``below``."""
    return _keys(
        IndexName=index_name,
        KeyConditionExpression="#h = :h AND #r < :below",
        ExpressionAttributeNames={"#h": hash_attr, "#r": range_attr},
        ExpressionAttributeValues={":h": {"S": hash_value}, ":below": {"S": below}},
    )


def index_entries(
    index_name: str, hash_attr: str, hash_value: str, range_attr: str, forward: bool, first: int | None = None
) -> Iterator[tuple[str, Key, dict[str, Any]]]:
    """(index sort key, table key, the entry's attributes as DynamoDB spells them) of every entry
    of an index partition, in index order (descending unless ``forward``), read page by page as
    they are consumed (``first``: see ``_items``)."""
    for item in _items(
        first,
        IndexName=index_name,
        KeyConditionExpression="#h = :h",
        ExpressionAttributeNames={"#h": hash_attr},
        ExpressionAttributeValues={":h": {"S": hash_value}},
        ScanIndexForward=forward,
    ):
        yield item[range_attr]["S"], (item["pk"]["S"], item["sk"]["S"]), item
