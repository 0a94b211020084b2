"""The integer attribute: ids, counts, statuses and epoch seconds are whole numbers, and holding them
as ``int`` lets callers use them as such (keys, JSON, comparisons with enums) without a cast at each
use. DynamoDB stores them as any number (type ``N``), so items are unchanged."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pynamodb.attributes import NumberAttribute

_A = TypeVar("_A", bound="IntegerAttribute")


class IntegerAttribute(NumberAttribute):
    """A ``NumberAttribute`` whose value is a plain ``int``, whether read from DynamoDB
    (``NumberAttribute`` reads JSON, and its type says ``float``) or assigned (an enum member, say),
    so every reader sees the same type; written as PynamoDB writes any number."""

    def __set__(self, instance: Any, value: Any) -> None:
        super().__set__(instance, value if value is None or type(value) is int else int(value))

    def deserialize(self, value: str) -> int:
        return int(json.loads(value))

    if TYPE_CHECKING:  # the value's type for readers and checkers; reading is NumberAttribute's

        @overload
        def __get__(self: _A, instance: None, owner: Any) -> _A: ...

        @overload
        def __get__(self: _A, instance: Any, owner: Any) -> int: ...

        def __get__(self: _A, instance: Any, owner: Any) -> _A | int: ...
