"""The index of an event's attachments: one item per event in the issues table, in a partition of its
own (``ATTACHMENTS#<project>#<event_id>``), so an event's files are one GetItem and a page of events'
files one BatchGetItem (``shared.events.attachments``)."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from shared.storage.integers import IntegerAttribute
from shared.storage.issues import IssueItem


class StoredAttachment(MapAttribute):
    """One attachment as the index lists it (its bytes are at ``object_key(project, event, index)``)."""

    id = UnicodeAttribute()
    index = IntegerAttribute()
    name = UnicodeAttribute()
    type = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = IntegerAttribute()
    sha1 = UnicodeAttribute()


class EventAttachments(IssueItem, discriminator="event_attachments"):
    """The attachments of one event, in the order the envelope carried them."""

    project_id = IntegerAttribute()
    event_id = UnicodeAttribute()
    date_created = UTCDateTimeAttribute()
    files = ListAttribute(of=StoredAttachment, default=list)

    @staticmethod
    def key(project_id: int, event_id: str) -> tuple[str, str]:
        return f"ATTACHMENTS#{project_id}#{event_id}", "ATTACHMENTS"
