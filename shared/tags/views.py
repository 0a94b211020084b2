"""A group's tags as Sentry's group tag endpoints answer them (``/issues/{id}/tags/``,
``/tags/{key}/``, ``/tags/{key}/values/``), from its tag summary: each key's event total, its kept
values with their counts and first/last seen. ``uniqueValues`` counts the kept values (the long
tail's distinct values are not kept)."""

from __future__ import annotations

from typing import Any

from shared.errors import NotFound
from shared.serializers.dates import format_datetime
from shared.tags.summary import KeyCounts, TagSummary, ValueCount, from_epoch

TOP_VALUES_SHOWN = 9  # Sentry's default ``limit`` of top values per key
_LABELS = {"user": "User", "release": "Release", "environment": "Environment", "level": "Level"}
# Sentry's ``sort`` of tag values: ``date`` (last seen, the default), ``age`` (first seen), ``count``.
VALUE_SORTS = {
    "date": lambda v: (-v.last, v.value),
    "age": lambda v: (-v.first, v.value),
    "count": lambda v: (-v.count, -v.last, v.value),
}
TAG_KEY_NOT_FOUND = "Tag key not found."


def key_label(key: str) -> str:
    """Sentry's ``get_tag_key_label``: known labels, else the key in title case."""
    return _LABELS.get(key) or key.replace("_", " ").title()


def serialize_value(key: str, kept: ValueCount) -> dict[str, Any]:
    return {
        "key": key,
        "name": kept.value,
        "value": kept.value,
        "count": kept.count,
        "firstSeen": format_datetime(from_epoch(kept.first)),
        "lastSeen": format_datetime(from_epoch(kept.last)),
    }


def serialize_key(key: str, counts: KeyCounts, limit: int = TOP_VALUES_SHOWN) -> dict[str, Any]:
    return {
        "key": key,
        "name": key_label(key),
        "totalValues": counts.total,
        "uniqueValues": len(counts.values),
        "topValues": [serialize_value(key, kept) for kept in counts.top()[:limit]],
    }


def group_tag_keys(summary: TagSummary, keys: list[str], limit: int | None) -> list[dict[str, Any]]:
    """``/issues/{id}/tags/``: every key (or those of ``?key=``), most frequent first."""
    chosen = [k for k in summary.keys if not keys or k in keys]
    chosen.sort(key=lambda k: (-summary.keys[k].total, k))
    return [serialize_key(k, summary.keys[k], TOP_VALUES_SHOWN if limit is None else limit) for k in chosen]


def group_tag_key(summary: TagSummary, key: str) -> dict[str, Any]:
    counts = summary.keys.get(key)
    if counts is None:
        raise NotFound(TAG_KEY_NOT_FOUND)
    return serialize_key(key, counts)


def group_tag_values(summary: TagSummary, key: str, sort: str | None) -> list[dict[str, Any]]:
    """``/tags/{key}/values/``: the kept values, newest seen first unless ``sort`` says otherwise."""
    counts = summary.keys.get(key)
    if counts is None:
        raise NotFound(TAG_KEY_NOT_FOUND)
    order = VALUE_SORTS.get((sort or "date").lstrip("-"), VALUE_SORTS["date"])
    return [serialize_value(key, kept) for kept in sorted(counts.values, key=order)]
