"""Rows of the issues table that hold a group's conditions and its event history: snooze,
hourly event counts, escalation forecast, latest event, and the hash → group map with its
tombstones.

Snooze, counts, forecast and latest event live in the group's partition (``GROUP#<id>``), so they
are read with the group and deleted with it. Hashes are keyed by ``(project, hash)`` because
ingestion looks them up before it knows the group; tombstones by their own id because they outlive
the group."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import (
    BinaryAttribute,
    BinarySetAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from shared.storage.base import utcnow
from shared.storage.integers import IntegerAttribute
from shared.storage.issues import IssueItem, group_pk

HOURLY_COUNT_RETENTION_DAYS = 7
# How long an event can still be delivered after it was counted: its message lives 14 days in the
# events queue and its dead-letter queue together (the dead-letter queue's retention counts from the
# first enqueue), and a redrive starts a new life of 14 days (SQS gives a redriven message a new
# enqueue time). A ledger entry outlives both, with a day to spare.
COUNTED_EVENTS_RETENTION_DAYS = 29


def hour_bucket(when: datetime) -> str:
    """The UTC hour an event falls in, as sortable text (``2026-11-23T08``)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H")


def hour_start(hour: str) -> datetime:
    """The start of an ``hour_bucket`` hour, in UTC."""
    return datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC)


class GroupSnooze(IssueItem, discriminator="snooze"):
    """The condition that ends an ``ignored`` state (Sentry's GroupSnooze); one per group at most.
    ``state`` keeps ``times_seen`` / ``users_seen`` at snooze time for counts without a window."""

    until = UTCDateTimeAttribute(null=True)
    count = IntegerAttribute(null=True)
    window = IntegerAttribute(null=True)  # minutes
    user_count = IntegerAttribute(null=True)
    user_window = IntegerAttribute(null=True)  # minutes
    state = MapAttribute(null=True)
    actor_id = IntegerAttribute(null=True)
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(group_id: int) -> tuple[str, str]:
        return group_pk(group_id), "SNOOZE"


class GroupHourlyCount(IssueItem, discriminator="hourly_count"):
    """Events of one group in one hour; expires by TTL after seven days. Written with
    ``UpdateItem ADD`` only, so concurrent events never lose a count; a few dozen bytes whatever
    the traffic. The group's newest hour is counted on the group item until the hour moves on
    (``Group.current_hour``)."""

    hour = UnicodeAttribute()  # hour_bucket()
    count = IntegerAttribute(default=0)
    # Set when the group's ``current_hour_count`` of this hour was added here (the hour moved on):
    # a reader that read the group before this row then knows not to add it again.
    flushed = BooleanAttribute(null=True)

    @staticmethod
    def key(group_id: int, hour: str) -> tuple[str, str]:
        return group_pk(group_id), f"HOUR#{hour}"


class GroupHourlyUsers(IssueItem, discriminator="hourly_users"):
    """Distinct users of one group in one hour as a ``UserSketch`` (exact set while small, then a
    fixed-size HyperLogLog); beside its hour's count row, so a range Query of the hours reads both.
    ``version`` goes up by one per write: merges are conditional on the version they read."""

    hour = UnicodeAttribute()
    sketch = BinaryAttribute(legacy_encoding=False)
    version = IntegerAttribute(default=0)

    @staticmethod
    def key(group_id: int, hour: str) -> tuple[str, str]:
        return group_pk(group_id), f"HOUR#{hour}#USERS"


class GroupForecast(IssueItem, discriminator="forecast"):
    """Sentry's EscalatingGroupForecast: the daily event ceilings of the next 14 days, from the
    day it was computed; an archived-until-escalating group escalates when a day exceeds its value."""

    forecast = ListAttribute(of=NumberAttribute)
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(group_id: int) -> tuple[str, str]:
        return group_pk(group_id), "FORECAST"


class GroupLatestEvent(IssueItem, discriminator="latest_event"):
    """The newest event of a group counted before the event store kept every event: one item per
    such group, its body a zlib-compressed JSON document (``shared.issues.events.latest``). No
    longer written by ingestion; read, moved by a merge and deleted with its group."""

    event_id = UnicodeAttribute()
    timestamp = UTCDateTimeAttribute()
    body = BinaryAttribute(legacy_encoding=False)

    @staticmethod
    def key(group_id: int) -> tuple[str, str]:
        return group_pk(group_id), "LATEST_EVENT"


class GroupHash(IssueItem, discriminator="group_hash"):
    """A grouping hash of a project: the group its events go to, or the tombstone that drops them."""

    project_id = IntegerAttribute()
    hash = UnicodeAttribute()
    group_id = IntegerAttribute(null=True)
    tombstone_id = IntegerAttribute(null=True)

    @staticmethod
    def key(project_id: int, hash_value: str) -> tuple[str, str]:
        return f"HASH#{project_id}#{hash_value}", "HASH"


class GroupHashRef(IssueItem, discriminator="group_hash_ref"):
    """The reverse of a GroupHash, in the group's partition: a group's hashes are then found by the
    same Query that reads (or deletes) the group, which merge, discard and deletion all need."""

    project_id = IntegerAttribute()
    hash = UnicodeAttribute()

    @staticmethod
    def key(group_id: int, hash_value: str) -> tuple[str, str]:
        return group_pk(group_id), f"HASH#{hash_value}"


class CountedEvents(IssueItem, discriminator="counted_events"):
    """The ingestion ledger: event ids of one second (the time their SDK claimed) that one transaction
    counted, written in that transaction on condition that it is new. Partitioned by project,
    ledger shard (a stable hash of the grouping hash) and second, so the events of the few issues
    of one shard in a batch share one entry. ``ids`` are the 16-byte event ids concatenated (16
    bytes per event), in runs per group; ``spans`` the group id and id count of each run (or
    ``tombstone_id``, when the events were dropped on a tombstone): where a compensation adds
    back. ``compensated`` holds the ids this entry counted again after another entry had counted
    them, and took back. The sort key is a digest of ``ids``, so the same events counted twice
    with the same composition collide. Expires by TTL after ``COUNTED_EVENTS_RETENTION_DAYS``
    (longer than an event can stay queued)."""

    ids = BinaryAttribute(legacy_encoding=False)
    compensated = BinarySetAttribute(legacy_encoding=False, null=True)
    spans = ListAttribute(of=IntegerAttribute, null=True)
    tombstone_id = IntegerAttribute(null=True)
    hour = UnicodeAttribute(null=True)  # the hour its events were counted in, when not the second's
    # The entry of a new group's first event, counted in the transaction that created the group: a
    # delivery that finishes its follow-up steps evaluates first-seen alert rules on it.
    creates_group = BooleanAttribute(null=True)
    # The token of the ``FollowedBatch`` mark its delivery writes once its follow-up steps are done
    # (None: it is marked by a ``FollowedUp`` beside it).
    followed_by = UnicodeAttribute(null=True)

    @staticmethod
    def partition(project_id: int, shard: int, second: datetime) -> str:
        return f"COUNTED#{project_id}#{shard}#{second.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')}"


class EventClaim(IssueItem, discriminator="event_claim"):
    """An event id of a project, claimed by the queued message that counts it
    (``shared.ingest.claims``): ``receipt`` is the edge's receipt time of that message (µs since the
    epoch, the same in every SQS redelivery and dead-letter redrive of it), so only that message's
    deliveries count the id; any other message with the id is a resend and is dropped. About 100
    bytes (one write unit); expires by TTL with the ledger (``COUNTED_EVENTS_RETENTION_DAYS``)."""

    receipt = IntegerAttribute()

    @staticmethod
    def key(project_id: int, event_id: str) -> tuple[str, str]:
        return f"CLAIM#{project_id}#{event_id}", "CLAIM"


class FollowedUp(IssueItem, discriminator="followed_up"):
    """Everything that follows the counting of one ``CountedEvents`` entry is done (users, latest
    event, releases, index key, transitions): put beside the entry (same partition, its sort key
    + ``#followed``) once the follow-up steps of all its groups succeeded. An entry without it was
    counted by a processor that died or failed after the commit: the next delivery of any of its
    events finishes the steps. About 100 bytes: one write unit, whatever the entry's size."""

    @staticmethod
    def key_of(entry: CountedEvents) -> tuple[str, str]:
        return entry.pk, f"{entry.sk}#followed"


class FollowedBatch(IssueItem, discriminator="followed_batch"):
    """The follow-up steps of the entries one delivery of a project's batch counted are done: one
    item per delivery (``FOLLOWED#<project>#<token>``, the token its entries name in
    ``followed_by``), put once every step of the delivery ran, holding the sort keys (12-byte
    digests) of the entries it covers. Read only by a delivery that finds its own events counted
    in an entry without a ``FollowedUp`` mark. Expires with the entries."""

    entries = BinaryAttribute(legacy_encoding=False)

    @staticmethod
    def key(project_id: int, token: str) -> tuple[str, str]:
        return f"FOLLOWED#{project_id}#{token}", "FOLLOWED"


class GroupTombstone(IssueItem, discriminator="tombstone"):
    """What remains of a discarded group (Sentry's TOMBSTONE_FIELDS_FROM_GROUP), keyed by its own id;
    unique per previous group so a group is never tombstoned twice."""

    id = IntegerAttribute()
    previous_group_id = IntegerAttribute()
    project_id = IntegerAttribute()
    level = UnicodeAttribute()
    message = UnicodeAttribute()
    culprit = UnicodeAttribute(null=True)
    data = MapAttribute(null=True)
    actor_id = IntegerAttribute(null=True)
    times_discarded = IntegerAttribute(default=0)
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(previous_group_id: int) -> tuple[str, str]:
        return f"TOMBSTONE#{previous_group_id}", "TOMBSTONE"


class ProjectDeletion(IssueItem, discriminator="project_deletion"):
    """A project on its way out, in the sparse ``pending_deletion`` index (gsi2pk/gsi2sk) beside the
    groups, so the deletion sweeper re-sends a project job that was lost, as it does for groups.
    Removed when the project's job has finished."""

    project_id = IntegerAttribute()
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(project_id: int) -> tuple[str, str]:
        return f"PROJECTDELETION#{project_id}", "PROJECTDELETION"


class GroupEvents(IssueItem, discriminator="group_events"):
    """Where one batch's events of a group (and grouping hash) are kept: the batch's object in the
    events bucket and, per event, its id, time, byte range in the object and environment
    (``shared.events.index``: ``rows``, newest first). In the group's partition, sorted by the
    newest of its events, so an issue's events are listed by time with a Query, and deleted (made
    unreadable at once by the group's status) with the group. Expires by TTL with the object."""

    object_key = UnicodeAttribute()
    hash = UnicodeAttribute()
    rows = BinaryAttribute(legacy_encoding=False)
    environments = ListAttribute(of=UnicodeAttribute, null=True)

    @staticmethod
    def key(group_id: int, newest: str, batch: str, hash_tag: str) -> tuple[str, str]:
        """``newest``: the newest event's time (``sortable_time``); ``batch``: the object's name;
        ``hash_tag``: 8 hex digits naming the grouping hash (``shared.events.index.hash_tag``)."""
        return group_pk(group_id), f"EVENTS#{newest}#{batch}#{hash_tag}"


class EventIds(IssueItem, discriminator="event_ids"):
    """The events of one batch of an organization whose ids fall in one of ``EVENT_ID_BUCKETS``
    buckets: ``ids`` (16 bytes each, what a lookup's filter tests) and, per event, its project,
    group, time, the ``GroupEvents`` item that lists it and its byte range (``shared.events.index``).
    Partition ``EVENTIDS#<org>#<bucket>``, sorted by the time the batch was kept: a lookup reads
    the bucket's partition newest first until an item holds the id. Expires by TTL."""

    object_key = UnicodeAttribute()
    ids = BinarySetAttribute(legacy_encoding=False)
    rows = BinaryAttribute(legacy_encoding=False)
    # Each event's release: one byte per row, in the rows' order, naming one of ``releases``
    # (``shared.events.index``); absent on items kept before releases were indexed.
    releases = ListAttribute(of=UnicodeAttribute, null=True)
    release_rows = BinaryAttribute(null=True, legacy_encoding=False)

    @staticmethod
    def partition(org_id: int, bucket: int) -> str:
        return f"EVENTIDS#{org_id}#{bucket}"
