"""Comments on an issue (Sentry's GroupNotesEndpoint.post): a NOTE activity by the caller, who
becomes subscribed to the issue (reason ``comment``, unless a subscription row exists), and the
subscribers are mailed (``shared.notifications``).

Sentry refuses the same text from the same user on the same issue within an hour; the check reads
the issue's newest activity (``ACTIVITY_SHOWN`` rows), as the feed shows it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.exceptions import PutError

from shared.errors import BadRequest, PermissionDenied, ValidationFailed
from shared.issues.activity import activity_data, create_activity, recent_activity
from shared.issues.enums import ActivityType, GroupSubscriptionReason
from shared.issues.updates.assignment import subscription
from shared.notifications.queue import queue_activities
from shared.storage.base import condition_failed, utcnow
from shared.storage.issues import Activity, Group, IssueItem

DUPLICATE_WINDOW = timedelta(hours=1)
# Sentry's NoteSerializer keeps the text as a CharField without a limit; ours bounds the row.
MAX_COMMENT_TEXT = 10_000
# What trimming removes: ASCII whitespace, so the document's pattern says the same in any regex dialect.
TRIMMED = " \t\n\r\v\f"


def comment_text(body: dict[str, Any]) -> str:
    """The note's text, or Sentry's serializer errors (a missing ``text`` is the body model's)."""
    text = body.get("text")  # the body model refused a missing text and a body not an object
    if text is None:
        raise ValidationFailed({"text": ["This field may not be null."]})
    if not isinstance(text, str):
        raise ValidationFailed({"text": ["Not a valid string."]})
    text = text.strip(TRIMMED)  # as Django REST framework's CharField trims it
    if not text:
        raise ValidationFailed({"text": ["This field may not be blank."]})
    if len(text) > MAX_COMMENT_TEXT:
        message = f"Ensure this field has no more than {MAX_COMMENT_TEXT} characters."
        raise ValidationFailed({"text": [message]})
    return text


def _posted_already(group: Group, user_id: int, text: str) -> bool:
    since = utcnow() - DUPLICATE_WINDOW
    return any(
        row.type == ActivityType.NOTE
        and row.user_id == user_id
        and row.datetime >= since
        and activity_data(row).get("text") == text
        for row in recent_activity(group.id)
    )


def _subscribe(group: Group, user_id: int) -> None:
    """Sentry's subscribe is a get_or_create: an existing row (an unsubscribe too) is kept."""
    try:
        subscription(group, user_id, GroupSubscriptionReason.COMMENT).save(
            condition=IssueItem.pk.does_not_exist()
        )
    except PutError as error:
        if not condition_failed(error):
            raise


def post_comment(group: Group, user_id: int | None, body: dict[str, Any]) -> Activity:
    """Write the note (400 for a bad body or a repeat within the hour; 403 without a user)."""
    if user_id is None:  # a note is a user's (Sentry refuses a key; an org token has no event:write)
        raise PermissionDenied()
    text = comment_text(body)
    if _posted_already(group, user_id, text):
        raise BadRequest("You have already posted that comment.")
    _subscribe(group, user_id)
    note = create_activity(group, ActivityType.NOTE, user_id=user_id, data={"text": text})
    queue_activities([note])
    return note
