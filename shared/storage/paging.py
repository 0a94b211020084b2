"""Cursor pages over DynamoDB queries.

A cursor is DynamoDB's own position (an ``ExclusiveStartKey``) plus a direction, as URL-safe base64
JSON: opaque to clients, and each page costs one Query whichever way it is walked. Pages are read
with one item of look-ahead (``page_size = per_page + 1``), so an empty "next" really means there is
nothing more, as Sentry's clients (sentry-cli, the web UI) expect.

A cursor comes from the client, so it is checked before DynamoDB sees it: its key must name exactly
the keys of the table (or index) queried and the partition being read, so a forged cursor can move
within the caller's own partition and never into another one.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pynamodb.attributes import Attribute
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import Index
from pynamodb.models import Model

from shared.errors import BadRequest

MAX_CURSOR_LENGTH = 2048  # a start key of four short keys is far below; anything longer is not ours
INVALID_CURSOR = "Invalid cursor parameter."
_KEY_TYPES = frozenset({"S", "N", "B"})

T = TypeVar("T")
StartKey = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursors of its neighbours (``None``: there is nothing that way)."""

    items: list[T]
    next_cursor: str | None = None
    prev_cursor: str | None = None


@dataclass(frozen=True)
class _Position:
    key: StartKey
    before: bool  # True: the items preceding ``key`` (a "previous" link), else those following it


def encode_cursor(key: StartKey, before: bool = False) -> str:
    payload = json.dumps({"before" if before else "after": key}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode("ascii")


def _decode_cursor(cursor: str | None) -> _Position | None:
    """The position a cursor names; ``None`` (or ``""``, what sentry-cli sends first) is the first page."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise BadRequest(INVALID_CURSOR)
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise BadRequest(INVALID_CURSOR) from None
    if not isinstance(payload, dict) or len(payload) != 1:
        raise BadRequest(INVALID_CURSOR)
    direction, key = next(iter(payload.items()))
    if direction not in {"after", "before"} or not _is_start_key(key):
        raise BadRequest(INVALID_CURSOR)
    return _Position(key, before=direction == "before")


def _is_start_key(key: Any) -> bool:
    """``{"name": {"S"|"N"|"B": "text"}, …}``: the only shape DynamoDB keys take."""
    return (
        isinstance(key, dict)
        and bool(key)
        and all(
            isinstance(name, str)
            and isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in _KEY_TYPES
            and isinstance(next(iter(value.values())), str)
            for name, value in key.items()
        )
    )


def _key_attributes(model: type[Model], index: Index | None) -> tuple[Attribute, set[str]]:
    """The partition key queried and the names a start key holds (the table's keys, plus the index's)."""
    table_keys = [a for a in model.get_attributes().values() if a.is_hash_key or a.is_range_key]
    names = {a.attr_name for a in table_keys}
    if index is None:
        return next(a for a in table_keys if a.is_hash_key), names
    index_keys = list(index.Meta.attributes.values())
    return next(a for a in index_keys if a.is_hash_key), names | {a.attr_name for a in index_keys}


def _check_start_key(key: StartKey, hash_attribute: Attribute, names: set[str], hash_key: Any) -> None:
    """400 unless ``key`` is a position inside the partition being queried."""
    expected = {hash_attribute.attr_type: hash_attribute.serialize(hash_key)}
    if set(key) != names or key[hash_attribute.attr_name] != expected:
        raise BadRequest(INVALID_CURSOR)


def query_page(
    model: type[Model],
    hash_key: Any,
    range_key_condition: Condition | None = None,
    *,
    cursor: str | None,
    per_page: int,
    index: Index | None = None,
    scan_index_forward: bool = True,
    filter_condition: Condition | None = None,
) -> Page[Any]:
    """One page of ``model.query(hash_key, range_key_condition)`` (through ``index`` if given), in the
    order ``scan_index_forward`` names, starting where ``cursor`` points: one Query per page unless a
    filter or DynamoDB's 1 MB limit makes a page come back short."""
    hash_attribute, names = _key_attributes(model, index)
    position = _decode_cursor(cursor)
    if position is not None:
        _check_start_key(position.key, hash_attribute, names, hash_key)
    backwards = position is not None and position.before
    results = model.query(
        hash_key,
        range_key_condition,
        filter_condition=filter_condition,
        index_name=index.Meta.index_name if index is not None else None,
        scan_index_forward=scan_index_forward != backwards,
        limit=per_page,
        page_size=per_page + 1,
        last_evaluated_key=position.key if position is not None else None,
    )
    items = list(results)
    # Set only when more items may follow in the direction walked: PynamoDB rebuilds it from the last
    # item returned when the look-ahead item is still unread, else it is DynamoDB's own.
    beyond = results.last_evaluated_key
    if backwards:
        items.reverse()
        return Page(
            items,
            next_cursor=encode_cursor(_item_key(items[-1], names)) if items else None,
            prev_cursor=encode_cursor(beyond, before=True) if beyond else None,
        )
    return Page(
        items,
        next_cursor=encode_cursor(beyond) if beyond else None,
        prev_cursor=encode_cursor(_item_key(items[0], names), before=True)
        if position is not None and items
        else None,
    )


def _item_key(item: Model, names: set[str]) -> StartKey:
    values = item.serialize()
    return {name: values[name] for name in names}
