"""A group's activity as Sentry's ActivitySerializer answers it: the ``activity`` of the issue details
and of an issue update that resolves one group in a release.

The serializer reads nothing: the caller loads the rows and the users they name in one batch
(``shared.issues.views.load_feed``) and passes them in."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

from shared.issues.activity import activity_data
from shared.issues.enums import ActivityType
from shared.issues.views import ActivityFeed, Actors
from shared.serializers.accounts import UserBody
from shared.serializers.dates import format_datetime
from shared.serializers.groups import GroupBody, actor_user
from shared.storage.issues import Activity


class ActivityBody(TypedDict):
    id: str
    type: str | int
    user: UserBody | None
    data: dict[str, Any]
    dateCreated: str | None


class GroupDetailsBody(GroupBody):
    """An issue's details: the group and its newest activity."""

    activity: list[ActivityBody]


def activity_type_name(value: int) -> str | int:
    """Sentry's name of the type (``set_resolved_in_release``, ``assigned``, …). A type without a name
    answers as its number, as Sentry's ``get_type_display()`` does for a value outside the choices, so
    a row written by a newer version never breaks the feed."""
    try:
        return ActivityType(value).name.lower()
    except ValueError:
        return value


def serialize_activity(row: Activity, actors: Actors) -> ActivityBody:
    """``id`` is the row's unique key suffix (URL-safe, stable across reads)."""
    return {
        "id": row.sk.rsplit("#", 1)[-1],
        "type": activity_type_name(row.type),
        "user": actor_user(row.user_id, actors),
        "data": activity_data(row),
        "dateCreated": format_datetime(row.datetime),
    }


def serialize_feed(feed: ActivityFeed) -> list[ActivityBody]:
    """The feed's rows in their order (newest first)."""
    return [serialize_activity(row, feed.actors) for row in feed.rows]
