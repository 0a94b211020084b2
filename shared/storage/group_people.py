"""Rows that tie people to a group: assignee, per-user subscription, bookmark and "seen" marks, and
the public share. All live in the group's partition (``GROUP#<id>``), so one BatchGetItem of known
keys reads a user's view of many groups, and the group's deletion finds them with its one Query."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.storage.base import utcnow
from shared.storage.integers import IntegerAttribute
from shared.storage.issues import IssueItem, group_pk


class GroupAssignee(IssueItem, discriminator="assignee"):
    """The one user or team a group is assigned to (Sentry's GroupAssignee); ``actor`` is
    ``user:<id>`` or ``team:<id>`` so a write can be made conditional on the previous assignee."""

    actor = UnicodeAttribute()
    user_id = IntegerAttribute(null=True)
    team_id = IntegerAttribute(null=True)
    project_id = IntegerAttribute()
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(group_id: int) -> tuple[str, str]:
        return group_pk(group_id), "ASSIGNEE"


class GroupSubscription(IssueItem, discriminator="subscription"):
    """A user's workflow-notification subscription to a group; ``is_active`` False is an explicit
    unsubscribe, which Sentry keeps as a row."""

    user_id = IntegerAttribute()
    project_id = IntegerAttribute()
    is_active = BooleanAttribute(default=True)
    reason = IntegerAttribute(default=0)  # GroupSubscriptionReason
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(group_id: int, user_id: int) -> tuple[str, str]:
        return group_pk(group_id), f"SUBSCRIPTION#{user_id}"


class GroupBookmark(IssueItem, discriminator="bookmark"):
    user_id = IntegerAttribute()
    project_id = IntegerAttribute()
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(group_id: int, user_id: int) -> tuple[str, str]:
        return group_pk(group_id), f"BOOKMARK#{user_id}"


class GroupSeen(IssueItem, discriminator="seen"):
    """When the user last looked at the group; ``hasSeen`` compares it with the group's last event."""

    user_id = IntegerAttribute()
    project_id = IntegerAttribute()
    last_seen = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(group_id: int, user_id: int) -> tuple[str, str]:
        return group_pk(group_id), f"SEEN#{user_id}"


class GroupShare(IssueItem, discriminator="share"):
    """The public share of a group; a new uuid each time the group is made public."""

    uuid = UnicodeAttribute()
    project_id = IntegerAttribute()
    user_id = IntegerAttribute(null=True)
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(group_id: int) -> tuple[str, str]:
        return group_pk(group_id), "SHARE"
