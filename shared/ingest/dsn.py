"""Who sends an event: the public DSN key, as Sentry SDKs present it, checked against the project.

SDKs send ``X-Sentry-Auth: Sentry sentry_key=<public>, sentry_version=7, …``; browser and some
other clients use the ``sentry_key`` query parameter or ``Authorization: Sentry …``; an envelope
may also carry its DSN in its header. The first one present is used."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from shared.auth import cache
from shared.errors import NotAuthenticated, PermissionDenied
from shared.projects.keys import get_project_key
from shared.storage.accounts import ProjectKey

_PUBLIC_KEY = re.compile(r"[0-9a-f]{32}")


def _auth_fields(value: str) -> dict[str, str]:
    """``Sentry sentry_key=a, sentry_version=7`` → ``{"sentry_key": "a", "sentry_version": "7"}``."""
    text = value.strip()
    if text[:7].lower() == "sentry ":
        text = text[7:]
    fields = {}
    for part in text.split(","):
        name, _, field_value = part.strip().partition("=")
        if name:
            fields[name.strip().lower()] = field_value.strip()
    return fields


def public_key_from_request(
    headers: Mapping[str, str], query: Mapping[str, str], envelope_dsn: str | None = None
) -> str | None:
    """The public key the request authenticates with, or None when it names none."""
    lowered = {name.lower(): value for name, value in headers.items()}
    for header in ("x-sentry-auth", "authorization"):
        value = lowered.get(header)
        if value and value.strip()[:7].lower() == "sentry ":
            key = _auth_fields(value).get("sentry_key")
            if key:
                return key
    if query.get("sentry_key"):
        return query["sentry_key"]
    if envelope_dsn:
        return urlsplit(envelope_dsn).username or None
    return None


def authenticate(project_id: int, public_key: str | None) -> ProjectKey:
    """The active key of ``project_id``: 401 when none is named or it is not this project's,
    403 when the key is disabled (Relay's answers for the same cases). A warm container remembers
    the keys it found for ``AUTH_CACHE_SECONDS`` (``shared.auth.cache``): a disabled key stops
    working within that time, and an unknown key is looked up every time."""
    if not public_key:
        raise NotAuthenticated("Missing DSN public key (X-Sentry-Auth header or sentry_key parameter)")
    # Keys are 32 hex digits; anything else cannot name one and is never looked up.
    key = (
        cache.project_keys.get(public_key, lambda: get_project_key(public_key))
        if _PUBLIC_KEY.fullmatch(public_key)
        else None
    )
    if key is None or key.project_id != project_id:
        raise NotAuthenticated("Unknown DSN key for this project")
    if not key.is_active:
        raise PermissionDenied("This DSN key is disabled")
    return key
