"""Create an item together with the pointer items of its other unique keys, in one transaction.

Each write is conditional on its key being new, so two concurrent creators can never both win a
slug, a username or an id: DynamoDB decides, and the cancellation reasons say which key was taken.
"""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.storage.accounts import AccountItem, Pointer
from shared.storage.base import cancelled_by_condition
from shared.storage.dynamodb import connection


class KeyTaken(Exception):
    """Some unique key of the new entity already exists; ``taken[i]`` tells which write failed."""

    def __init__(self, taken: list[bool]) -> None:
        self.taken = taken
        super().__init__(f"unique key taken: {taken}")

    @property
    def entity_taken(self) -> bool:
        return bool(self.taken and self.taken[0])

    def pointer_taken(self, index: int) -> bool:
        return len(self.taken) > index + 1 and self.taken[index + 1]


def pointer_to(entity: AccountItem, key: tuple[str, str]) -> Pointer:
    return Pointer(pk=key[0], sk=key[1], target_pk=entity.pk, target_sk=entity.sk)


def create_unique(entity: AccountItem, pointer_keys: list[tuple[str, str]]) -> None:
    """Write ``entity`` and a pointer per key, all or nothing; raise ``KeyTaken`` on any conflict."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(entity, condition=AccountItem.pk.does_not_exist())
            for key in pointer_keys:
                transaction.save(pointer_to(entity, key), condition=AccountItem.pk.does_not_exist())
    except TransactWriteError as error:
        taken = cancelled_by_condition(error)
        if any(taken):
            raise KeyTaken(taken) from error
        raise
