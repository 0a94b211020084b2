"""A group's activity feed as Sentry's ActivitySerializer answers it (the ``activity`` key of an
issue update that resolves one group in a release)."""

from __future__ import annotations

from typing import Any

from shared.issues.enums import ActivityType
from shared.issues.views import load_actors
from shared.serializers.accounts import serialize_user
from shared.serializers.dates import format_datetime
from shared.storage.issues import Activity, group_pk

# Sentry's ACTIVITIES_COUNT: how many of the newest activities the response carries.
ACTIVITIES_COUNT = 100


def _type_name(value: int) -> str:
    try:
        return ActivityType(value).name.lower()
    except ValueError:
        return str(value)


def latest_activities(group_id: int) -> list[dict[str, Any]]:
    """The group's newest activities, newest first, with their users (one Query, one BatchGetItem)."""
    rows = list(
        Activity.query(
            group_pk(group_id),
            Activity.sk.startswith("ACTIVITY#"),
            scan_index_forward=False,
            limit=ACTIVITIES_COUNT,
            consistent_read=True,
        )
    )
    actors = load_actors({int(r.user_id) for r in rows if r.user_id is not None}, set())
    serialized = []
    for row in rows:
        user = actors.users.get(int(row.user_id)) if row.user_id is not None else None
        serialized.append(
            {
                "id": row.sk.removeprefix("ACTIVITY#"),
                "user": serialize_user(user) if user is not None else None,
                "type": _type_name(int(row.type)),
                "data": row.data.as_dict() if row.data is not None else {},
                "dateCreated": format_datetime(row.datetime),
            }
        )
    return serialized
