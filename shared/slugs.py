"""Slugs as Sentry makes them: Django's slugify, a length cap, reserved words, and random suffixes
when the base is taken (``slugify_instance``). Uniqueness itself is enforced by conditional writes;
this module only proposes candidates, in Sentry's order."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterator

SLUG_PATTERN = re.compile(r"^(?![0-9]+$)[a-z0-9_\-]+$")
# The same rule without a look-ahead, for documents (at least one character is not a digit).
SLUG_SCHEMA_PATTERN = "^[a-z0-9_-]*[a-z_-][a-z0-9_-]*$"
SLUG_ERROR = (
    "Enter a valid slug consisting of lowercase letters, numbers, underscores or hyphens. "
    "It cannot be entirely numeric."
)
# Sentry's literal alphabet (no "8", "0" twice).
SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456790"
# (suffix length, attempts) after the base slug, as slugify_instance tries them.
SUFFIX_PLAN = ((2, 2), (3, 5), (5, 20), (12, 1))

RESERVED_PROJECT_SLUGS = frozenset(
    {
        "api-keys", "audit-log", "auth", "members", "projects", "rate-limits", "repos", "settings",
        "teams", "billing", "payments", "legal", "subscription", "support", "integrations",
        "developer-settings", "usage", "$all",
    }
)  # fmt: skip


def slugify(value: str) -> str:
    """Django's ``slugify``: ASCII-fold, lowercase, drop what is not a word char, hyphenate spaces."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value.lower())
    return re.sub(r"[-\s]+", "-", value).strip("-_")


def base_slug(label: str, max_length: int, reserved: frozenset[str] = frozenset()) -> str:
    """The first candidate for ``label``; a random one when the label yields nothing usable."""
    base = slugify(label)[:max_length].strip("-")
    if not base or base in reserved or not SLUG_PATTERN.match(base):
        base = uuid.uuid4().hex[:12]
    return base


def slug_candidates(base: str, max_length: int) -> Iterator[str]:
    """The base, then 28 suffixed variants, each cut so the result fits ``max_length``."""
    yield base
    for size, attempts in SUFFIX_PLAN:
        for _ in range(attempts):
            suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(size))
            yield f"{base[: max_length - size - 1].rstrip('-')}-{suffix}"
