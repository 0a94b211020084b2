"""Issue references in commit messages ("Fixes WEB-12", "closes WEB-12, WEB-13"), as Sentry finds them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_FIXES = re.compile(
    r"\b(?:Fix|Fixes|Fixed|Close|Closes|Closed|Resolve|Resolves|Resolved):?\s+([A-Za-z0-9_\-\s\,]+)\b",
    re.IGNORECASE,
)
_SHORT_ID = re.compile(r"\b([A-Z0-9_-]+-[A-Z0-9]+)\b", re.IGNORECASE)
SKIP_MARKER = "#skipsentry"


def referenced_short_ids(message: str | None) -> list[str]:
    """Qualified short ids a message says it fixes, upper-cased, in order, without repeats."""
    if not message:
        return []
    text = _MARKDOWN_LINK.sub(r"\1", message)
    found: dict[str, None] = {}
    for match in _FIXES.finditer(text):
        for short_id in _SHORT_ID.findall(match.group(1)):
            found.setdefault(short_id.upper(), None)
    return list(found)


def referenced_issue_ids(message: str | None, public_url: str) -> list[int]:
    """Ids of the issues a message links to on this server (``<public url>/issues/<id>/`` or
    ``…/organizations/<org>/issues/<id>/``), in order, without repeats: Sentry counts its own issue
    URLs as references."""
    if not message:
        return []
    host = re.escape(urlsplit(public_url).netloc)
    pattern = re.compile(rf"https?://{host}(?:/organizations/[^/\s]+)?/issues/(\d+)\b", re.IGNORECASE)
    return list(dict.fromkeys(int(found) for found in pattern.findall(message)))


def is_skipped(message: str | None) -> bool:
    """Commits marked ``#skipsentry`` are left out of a release's commits (Sentry's provider rule)."""
    return bool(message) and SKIP_MARKER in message.lower()
