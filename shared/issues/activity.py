"""A group's activity feed (Sentry's Activity): one row per event in the group's partition."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.issues.enums import ActivityType
from shared.storage.base import utcnow
from shared.storage.issues import Activity, Group, group_pk

# Sentry's issue page shows the newest activity; older entries stay stored.
ACTIVITY_SHOWN = 100


def new_activity(
    group: Group,
    type: ActivityType,
    user_id: int | None = None,
    ident: str | None = None,
    data: dict[str, Any] | None = None,
    when: datetime | None = None,
    cause: str | None = None,
) -> Activity:
    """An unsaved activity row, for callers that write it inside a transaction with other rows;
    with a ``cause``, its key is the cause's (``Activity.caused_key``), so it can be put only once."""
    when = when or utcnow()
    if cause is not None:
        pk, sk = Activity.caused_key(group.id, when, cause)
    else:
        pk, sk = Activity.new_key(group.id, when)
    return Activity(
        pk=pk,
        sk=sk,
        type=int(type),
        project_id=group.project_id,
        group_id=group.id,
        user_id=user_id,
        ident=ident,
        data=data or {},
        datetime=when,
    )


def create_activity(
    group: Group,
    type: ActivityType,
    user_id: int | None = None,
    ident: str | None = None,
    data: dict[str, Any] | None = None,
) -> Activity:
    """Write one activity row (PutItem; its key is unique, so no condition is needed)."""
    activity = new_activity(group, type, user_id, ident, data)
    activity.save()
    return activity


def recent_activity(group_id: int, limit: int = ACTIVITY_SHOWN) -> list[Activity]:
    """The group's newest activity first: one Query of its partition's ``ACTIVITY#`` rows."""
    rows = Activity.query(
        group_pk(group_id),
        Activity.sk.startswith("ACTIVITY#"),
        scan_index_forward=False,
        limit=limit,
        consistent_read=True,
    )
    return list(rows)


def activity_data(row: Activity) -> dict[str, Any]:
    """The row's ``data`` as a plain dict (a row read back holds a MapAttribute, a new one a dict)."""
    data = row.data
    return data.as_dict() if hasattr(data, "as_dict") else dict(data or {})
