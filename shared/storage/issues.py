"""The issues table: a group and all its children under ``pk = GROUP#<id>``.

Serializing a group is one Query of its partition; deleting it is one paginated Query plus
BatchWriteItem deletes of 25. GSI ``by_project_listing`` (gsi1pk ``PROJECT#<id>#STATUS#<status>``,
gsi1sk last seen; keys and the fields issue searches filter on) serves issue lists; sparse GSI
``pending_deletion`` (gsi2pk/gsi2sk) serves the deletion sweeper.
Hourly counts expire by TTL (``expires_at``).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    DiscriminatorAttribute,
    MapAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.update import Action
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection

from shared.config import settings
from shared.storage.base import TableModel, table_meta, utcnow
from shared.storage.integers import IntegerAttribute

# The group's fields an issue-list index entry carries (``ByProjectListing``).
LISTING_FIELDS = ("level", "first_seen", "first_release_version", "substatus")


class ByProjectListing(GlobalSecondaryIndex):
    """The keys and ``LISTING_FIELDS``: DynamoDB rewrites an index entry when a key or a projected
    attribute changes, so an entry that carried the whole group was rewritten by every event count
    on the project's one index partition key. These fields are set when the group is created and
    change with its status (which moves the entry anyway) or, for ``level``, only when the newest
    event's level differs; ``times_seen``, ``title`` and ``last_seen`` change with counts and stay
    out. A search tests these fields on the entries and reads only the groups that pass
    (``shared.issues.status_index``)."""

    class Meta:
        index_name = "by_project_listing"
        projection = IncludeProjection(list(LISTING_FIELDS))

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class PendingDeletion(GlobalSecondaryIndex):
    class Meta:
        index_name = "pending_deletion"
        projection = KeysOnlyProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class IssueItem(TableModel):
    """Base of every item in the issues table; ``kind`` picks the subclass on reads."""

    Meta = table_meta(settings().issues_table)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    by_project_listing = ByProjectListing()
    pending_deletion = PendingDeletion()


def group_pk(group_id: int) -> str:
    return f"GROUP#{group_id}"


def sortable_time(value: datetime) -> str:
    """Fixed-width UTC time (always with microseconds), so keys that embed it sort chronologically."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _timed_sk(prefix: str, when: datetime) -> str:
    """A child row's sort key: time first (rows list in order), a random suffix keeps it unique."""
    return f"{prefix}#{sortable_time(when)}#{uuid.uuid4().hex[:8]}"


def status_index_pk(project_id: int, status: int) -> str:
    """``by_project_listing`` partition: a project's groups of one status (the issue lists)."""
    return f"PROJECT#{project_id}#STATUS#{int(status)}"


def status_index_sk(last_seen: datetime, group_id: int) -> str:
    """``by_project_listing`` sort key: last seen, then the zero-padded id to break ties."""
    return f"{sortable_time(last_seen)}#{int(group_id):020d}"


class Group(IssueItem, discriminator="group"):
    """A Sentry issue. ``gsi1pk``/``gsi1sk`` place it in ``by_project_listing``; every write that
    changes ``status`` or ``last_seen`` must set them too (``status_actions``, ``status_index_sk``)."""

    id = IntegerAttribute()
    project_id = IntegerAttribute()
    org_id = IntegerAttribute()
    short_id = IntegerAttribute()
    status = IntegerAttribute()  # GroupStatus
    substatus = IntegerAttribute(null=True)  # GroupSubStatus
    level = UnicodeAttribute()
    title = UnicodeAttribute()  # Sentry's Group.message
    culprit = UnicodeAttribute(null=True)
    first_seen = UTCDateTimeAttribute()
    last_seen = UTCDateTimeAttribute()
    times_seen = IntegerAttribute()
    priority = IntegerAttribute(null=True)  # PriorityLevel
    priority_locked_at = UTCDateTimeAttribute(null=True)  # set by a manual priority change
    resolved_at = UTCDateTimeAttribute(null=True)
    first_release_version = UnicodeAttribute(null=True)
    data = MapAttribute(null=True)
    category = IntegerAttribute(null=True)  # Sentry's GroupCategory; absent means ERROR (1)
    # Deletion pipeline: the time before which a queued deletion must not run (SQS delays stop at
    # 900 s), and the parent a PENDING_MERGE group is being merged into (for the sweeper's retries).
    delete_after = UTCDateTimeAttribute(null=True)
    merged_into = IntegerAttribute(null=True)
    # Ingestion counts the events of the group's newest hour here rather than on the hour's
    # ``GroupHourlyCount`` row (one item fewer per counting transaction); when the hour moves on,
    # the count goes to its row (``shared.issues.events.counts``, which every reader goes through).
    current_hour = UnicodeAttribute(null=True)  # hour_bucket()
    current_hour_count = IntegerAttribute(null=True)

    @staticmethod
    def key(group_id: int) -> tuple[str, str]:
        return group_pk(group_id), "GROUP"

    @staticmethod
    def status_values(project_id: int, status: int, substatus: int | None) -> dict[str, Any]:
        """The attributes a status change sets: status, substatus and the index partition. ``gsi1sk``
        is left alone: it does not depend on the status, and rewriting it from a copy's
        ``last_seen`` could undo a concurrent "seen again" update."""
        return {
            "status": int(status),
            "substatus": None if substatus is None else int(substatus),
            "gsi1pk": status_index_pk(project_id, status),
        }

    def status_actions(self, status: int, substatus: int | None) -> list[Action]:
        """Update actions for a status change (``status_values``)."""
        values = Group.status_values(self.project_id, status, substatus)
        return [getattr(Group, name).set(value) for name, value in values.items()]

    def take_status(self, status: int, substatus: int | None) -> None:
        """This copy as ``status_actions`` left the stored item, once they are written."""
        for name, value in Group.status_values(self.project_id, status, substatus).items():
            setattr(self, name, value)


class ShortIdPointer(IssueItem, discriminator="short_id"):
    """Resolves a qualified short id ("WEB-12") to its group: project id + number are unique."""

    group_id = IntegerAttribute()

    @staticmethod
    def key(project_id: int, short_id: int) -> tuple[str, str]:
        return f"SHORTID#{project_id}#{short_id}", "SHORTID"


class GroupInbox(IssueItem, discriminator="inbox"):
    """The group is "for review"; at most one row per group."""

    reason = IntegerAttribute()  # GroupInboxReason
    reason_details = MapAttribute(null=True)
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(group_id: int) -> tuple[str, str]:
        return group_pk(group_id), "INBOX"


class GroupResolution(IssueItem, discriminator="resolution"):
    """The release a group is resolved in (or pending for); at most one row per group."""

    type = IntegerAttribute()  # GroupResolutionType
    status = IntegerAttribute()  # GroupResolutionStatus
    release_version = UnicodeAttribute()
    release_id = IntegerAttribute(null=True)
    actor_id = IntegerAttribute(null=True)
    datetime = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(group_id: int) -> tuple[str, str]:
        return group_pk(group_id), "RESOLUTION"


class Activity(IssueItem, discriminator="activity"):
    """One entry of a group's activity feed, in time order within the group's partition."""

    type = IntegerAttribute()  # ActivityType
    project_id = IntegerAttribute()
    group_id = IntegerAttribute()
    user_id = IntegerAttribute(null=True)
    ident = UnicodeAttribute(null=True)
    data = MapAttribute(default=dict)
    datetime = UTCDateTimeAttribute()

    @staticmethod
    def new_key(group_id: int, when: datetime) -> tuple[str, str]:
        return group_pk(group_id), _timed_sk("ACTIVITY", when)

    @staticmethod
    def caused_key(group_id: int, when: datetime, cause: str) -> tuple[str, str]:
        """The key of an activity one cause (an event and the change it made) writes at most once:
        its suffix is derived from the cause instead of drawn at random."""
        suffix = hashlib.blake2b(cause.encode(), digest_size=4).hexdigest()
        return group_pk(group_id), f"ACTIVITY#{sortable_time(when)}#{suffix}"


class GroupHistory(IssueItem, discriminator="history"):
    """One status transition of a group (Sentry's GroupHistory), in time order."""

    status = IntegerAttribute()  # GroupHistoryStatus
    project_id = IntegerAttribute()
    group_id = IntegerAttribute()
    user_id = IntegerAttribute(null=True)
    release_version = UnicodeAttribute(null=True)
    date_added = UTCDateTimeAttribute()

    @staticmethod
    def new_key(group_id: int, when: datetime) -> tuple[str, str]:
        return group_pk(group_id), _timed_sk("HISTORY", when)


class GroupLink(IssueItem, discriminator="link"):
    """A commit that says it fixes the group; keyed by commit so linking twice is one row."""

    linked_type = UnicodeAttribute(default="commit")
    linked_id = IntegerAttribute()
    relationship = UnicodeAttribute(default="resolves")
    project_id = IntegerAttribute()
    group_id = IntegerAttribute()
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def commit_key(group_id: int, commit_id: int) -> tuple[str, str]:
        return group_pk(group_id), f"LINK#commit#{commit_id}"
