"""Dates as Sentry answers them: RFC 3339 in UTC with a ``Z`` offset (sentry-cli rejects naive dates)."""

from __future__ import annotations

from datetime import UTC, datetime


def format_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
