"""A group's status history (Sentry's GroupHistory): one row per transition, in time order."""

from __future__ import annotations

from datetime import datetime

from shared.issues.enums import GroupHistoryStatus
from shared.storage.base import utcnow
from shared.storage.issues import Group, GroupHistory


def new_group_history(
    group: Group,
    status: GroupHistoryStatus,
    user_id: int | None = None,
    release_version: str | None = None,
    when: datetime | None = None,
) -> GroupHistory:
    """An unsaved history row, for callers that write it inside a transaction with the transition."""
    when = when or utcnow()
    pk, sk = GroupHistory.new_key(group.id, when)
    return GroupHistory(
        pk=pk,
        sk=sk,
        status=int(status),
        project_id=group.project_id,
        group_id=group.id,
        user_id=user_id,
        release_version=release_version,
        date_added=when,
    )


def record_group_history(
    group: Group,
    status: GroupHistoryStatus,
    user_id: int | None = None,
    release_version: str | None = None,
) -> GroupHistory:
    """Write one history row (PutItem; its key is unique, so no condition is needed)."""
    history = new_group_history(group, status, user_id, release_version)
    history.save()
    return history
