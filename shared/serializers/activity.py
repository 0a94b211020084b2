"""A group's activity as Sentry's ActivitySerializer answers it (``activity`` of the issue details)."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

from shared.issues.enums import ActivityType
from shared.issues.views import Actors
from shared.serializers.accounts import UserBody
from shared.serializers.dates import format_datetime
from shared.serializers.groups import GroupBody, actor_user
from shared.storage.issues import Activity


class ActivityBody(TypedDict):
    id: str
    type: str
    user: UserBody | None
    data: dict[str, Any]
    dateCreated: str | None


class GroupDetailsBody(GroupBody):
    """An issue's details: the group and its newest activity."""

    activity: list[ActivityBody]


def serialize_activity(row: Activity, actors: Actors) -> ActivityBody:
    """``type`` is Sentry's name of the activity type (``set_resolved_in_release``, ``assigned``, …)."""
    return {
        "id": row.sk.rsplit("#", 1)[-1],
        "type": ActivityType(int(row.type)).name.lower(),
        "user": actor_user(row.user_id, actors),
        "data": row.data.as_dict() if hasattr(row.data, "as_dict") else dict(row.data or {}),
        "dateCreated": format_datetime(row.datetime),
    }
