"""The "for review" inbox: at most one row per group, added when a group needs attention (new,
regressed, escalating …) and removed when someone acts on it (resolve, ignore, mark reviewed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError
from pynamodb.expressions.update import Action

from shared.issues.activity import new_activity
from shared.issues.enums import ActivityType, GroupHistoryStatus, GroupInboxReason, GroupInboxRemoveAction
from shared.issues.history import new_group_history
from shared.issues.transaction import transaction
from shared.serializers.dates import format_datetime
from shared.storage.base import cancelled_by_condition, condition_failed, utcnow
from shared.storage.issues import Group, GroupInbox

# Sentry's INBOX_REASON_DETAILS schema: these keys only; anything else makes the details null.
REASON_DETAIL_KEYS = frozenset({"until", "count", "window", "user_count", "user_window"})


def _reason_details(details: dict[str, Any] | None) -> dict[str, Any] | None:
    if not details or not set(details) <= REASON_DETAIL_KEYS:
        return None
    until = details.get("until")
    if isinstance(until, datetime):
        return {**details, "until": format_datetime(until.replace(microsecond=0))}
    return dict(details)


def add_group_to_inbox(
    group: Group, reason: GroupInboxReason, reason_details: dict[str, Any] | None = None
) -> GroupInbox | None:
    """Put the group in the inbox; returns the new row, or None when it was already there.

    Like Sentry's get_or_create, an existing row keeps its original reason and date: the put is
    conditional on the row being absent."""
    pk, sk = GroupInbox.key(group.id)
    inbox = GroupInbox(
        pk=pk, sk=sk, reason=int(reason), reason_details=_reason_details(reason_details), date_added=utcnow()
    )
    try:
        inbox.save(condition=GroupInbox.pk.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            return None
        raise
    return inbox


def inbox_write(
    group: Group, reason: GroupInboxReason, reason_details: dict[str, Any] | None = None
) -> tuple[GroupInbox, list[Action]]:
    """The inbox row and the actions that put the group in the inbox inside a transaction, with
    ``add_group_to_inbox``'s rule and no condition: every attribute is set only where the row has
    none (``if_not_exists``), so a row already there keeps its reason and date."""
    row = GroupInbox(*GroupInbox.key(group.id))
    actions: list[Action] = [
        GroupInbox.kind.set(GroupInbox),
        GroupInbox.reason.set(GroupInbox.reason | int(reason)),
        GroupInbox.date_added.set(GroupInbox.date_added | utcnow()),
    ]
    details = _reason_details(reason_details)
    if details is not None:
        actions.append(GroupInbox.reason_details.set(GroupInbox.reason_details | details))
    return row, actions


def remove_group_from_inbox(group: Group, action: GroupInboxRemoveAction, user_id: int | None = None) -> bool:
    """Take the group out of the inbox; returns whether it was in it.

    Marking reviewed by a user also writes Activity MARK_REVIEWED and GroupHistory REVIEWED, only
    when a row was removed (Sentry's rule). The delete is conditional and shares a transaction with
    those rows, so two concurrent reviewers cannot both log a review."""
    inbox = GroupInbox(*GroupInbox.key(group.id))
    present = GroupInbox.pk.exists()
    if action == GroupInboxRemoveAction.MARK_REVIEWED and user_id is not None:
        now = utcnow()
        try:
            with transaction() as write:
                write.delete(inbox, condition=present)
                write.save(new_activity(group, ActivityType.MARK_REVIEWED, user_id=user_id, when=now))
                write.save(new_group_history(group, GroupHistoryStatus.REVIEWED, user_id=user_id, when=now))
        except TransactWriteError as error:
            if cancelled_by_condition(error)[:1] == [True]:
                return False
            raise
        return True
    try:
        inbox.delete(condition=present)
    except DeleteError as error:
        if condition_failed(error):
            return False
        raise
    return True
