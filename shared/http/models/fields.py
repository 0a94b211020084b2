"""Field types shared by request bodies, with Django REST framework's rules and wording."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints

_URL = re.compile(r"^(?:https?|ftps?)://[^\s/?#]+[^\s]*$", re.IGNORECASE)
URL_MAX = 200


def _reject_null(value: Any) -> Any:
    if value is None:
        raise ValueError("This field may not be null.")
    return value


def _datetime_text(value: Any) -> Any:
    """DRF's DateTimeField takes ISO 8601 text only (no epoch numbers)."""
    if value is not None and not isinstance(value, str | datetime):
        raise ValueError(
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        )
    return value


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _url(value: str | None) -> str | None:
    if value and not _URL.match(value):
        raise ValueError("Enter a valid URL.")
    return value


NotNull = BeforeValidator(_reject_null)
# RFC 3339 / ISO 8601 text, nanoseconds accepted (truncated to microseconds), naive read as UTC.
DateTimeText = Annotated[datetime, BeforeValidator(_datetime_text), AfterValidator(_as_utc)]
# DRF's URLField (Sentry's url columns hold 200 characters); the length is checked on the text
# itself, before the URL check, so the error is DRF's wording.
UrlText = Annotated[str, StringConstraints(max_length=URL_MAX), AfterValidator(_url)]
