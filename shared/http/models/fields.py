"""Field types shared by request bodies, with Django REST framework's rules and wording."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, GetJsonSchemaHandler, StringConstraints, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

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


class _RejectNull(BeforeValidator):
    """Refuses null with DRF's message, and documents the field without null: a field that may be
    left out (its default is None) may not be sent as null."""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        documented = dict(handler(schema))
        variants = [v for v in documented.pop("anyOf", []) if v.get("type") != "null"]
        if len(variants) == 1:
            documented |= variants[0]
        elif variants:
            documented["anyOf"] = variants
        if documented.get("default", ...) is None:
            del documented["default"]
        return documented


NotNull = _RejectNull(_reject_null)
# RFC 3339 / ISO 8601 text, nanoseconds accepted (truncated to microseconds), naive read as UTC.
DateTimeText = Annotated[datetime, BeforeValidator(_datetime_text), AfterValidator(_as_utc)]
# DRF's URLField (Sentry's url columns hold 200 characters); the length is checked on the text
# itself, before the URL check, so the error is DRF's wording.
UrlText = Annotated[
    str,
    StringConstraints(max_length=URL_MAX),
    AfterValidator(_url),
    WithJsonSchema(
        {"type": "string", "maxLength": URL_MAX, "pattern": r"^((https?|ftps?)://[^\s/?#]+[^\s]*)?$"}
    ),
]
