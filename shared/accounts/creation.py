"""The one way slugged entities (organizations, teams, projects) are created: a snowflake id from
``save_with_snowflake_id`` and the first free slug among Sentry's candidates, both claimed in one
conditional transaction. A taken slug moves on to the next candidate; a taken id asks for a new id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from shared.errors import Conflict
from shared.snowflake import IdCollision, save_with_snowflake_id
from shared.storage.accounts import AccountItem
from shared.storage.unique import KeyTaken, create_unique

E = TypeVar("E", bound=AccountItem)


def create_slugged(
    build: Callable[[int, str], E],
    id_key: Callable[[int], tuple[str, str]],
    candidates: Callable[[], Iterator[str]],
    conflict_detail: str,
) -> E:
    """Create ``build(id, slug)`` under the first free candidate slug; 409 when none is free."""

    def save(snowflake: int) -> E:
        for slug in candidates():
            entity = build(snowflake, slug)
            try:
                create_unique(entity, [id_key(snowflake)])
                return entity
            except KeyTaken as taken:
                if taken.pointer_taken(0):
                    raise IdCollision() from taken
        raise Conflict(conflict_detail)

    return save_with_snowflake_id(save)
