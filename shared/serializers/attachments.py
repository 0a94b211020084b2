"""An event attachment as Sentry's ``EventAttachmentSerializer`` answers it."""

from __future__ import annotations

from typing import Any

from shared.events.attachments import Attachment
from shared.serializers.dates import format_datetime


def serialize_attachment(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "event_id": attachment.event_id,
        "type": attachment.type,
        "name": attachment.name,
        "mimetype": attachment.content_type,
        "dateCreated": format_datetime(attachment.date_created),
        "size": attachment.size,
        "headers": {"Content-Type": attachment.content_type},
        "sha1": attachment.sha1,
    }
