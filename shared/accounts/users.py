"""Users: created once with unique username and email (both claimed by pointer items)."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from shared.errors import Conflict
from shared.snowflake import IdCollision, save_with_snowflake_id
from shared.storage.accounts import Pointer, User
from shared.storage.base import batch_get
from shared.storage.unique import KeyTaken, create_unique


def create_user(username: str, email: str, name: str = "") -> User:
    """Create a user; 409 when the username or the email already belongs to someone."""

    def save(user_id: int) -> User:
        pk, sk = User.key(user_id)
        user = User(pk=pk, sk=sk, id=user_id, username=username, email=email, name=name or username)
        try:
            create_unique(user, [User.username_key(username), User.email_key(email)])
        except KeyTaken as taken:
            if taken.entity_taken:
                raise IdCollision() from taken
            field = "username" if taken.pointer_taken(0) else "email"
            raise Conflict(f"A user with this {field} already exists.") from taken
        return user

    return save_with_snowflake_id(save)


def get_user(user_id: int) -> User | None:
    try:
        return User.get(*User.key(user_id))
    except DoesNotExist:
        return None


def find_user_by_name_or_email(value: str) -> User | None:
    """Look a user up by username, then by email (Sentry's ``assignedTo`` accepts both)."""
    for key in (User.username_key(value), User.email_key(value)):
        try:
            pointer = Pointer.get(*key)
        except DoesNotExist:
            continue
        return User.get(pointer.target_pk, pointer.target_sk)
    return None


def user_ids_by_email(emails: list[str]) -> dict[str, int]:
    """The users whose primary email is each of ``emails`` (case-insensitive), keyed by the email as
    given; one BatchGetItem of the email pointers per 100 emails."""
    wanted = {email.lower(): email for email in emails if email}
    pointers = batch_get(Pointer, [User.email_key(e) for e in sorted(wanted)])
    found: dict[str, int] = {}
    for pointer in pointers:
        lowered = pointer.pk.removeprefix("USEREMAIL#")
        found[wanted[lowered]] = int(pointer.target_pk.removeprefix("USER#"))
    return found
