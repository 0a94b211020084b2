"""The tags of an event as Sentry's tag store keeps them: the SDK's ``tags`` and those Sentry derives
from the event (``level``, ``environment``, ``release``, ``dist``, ``user``, ``transaction``,
``server_name``, ``url``, and the ``browser``/``os``/``runtime``/``device`` contexts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.ingest.event import TAG_LENGTH, Event

# Sentry's ``sentry:user`` tag: the first identifying field of the user, with its kind as prefix.
USER_FIELDS = (("id", "id"), ("username", "username"), ("email", "email"), ("ip_address", "ip"))
_CONTEXT_TAGS = (("browser", "browser"), ("os", "os"), ("runtime", "runtime"), ("device", "device"))


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        text = str(value).strip()
        return text[:TAG_LENGTH] if text else None
    return None


def user_tag(user: Any) -> str | None:
    """``id:42``, ``username:jane``, ``email:jane@example.com`` or ``ip:1.2.3.4``; None without one."""
    if not isinstance(user, Mapping):
        return None
    for name, prefix in USER_FIELDS:
        value = _text(user.get(name))
        if value and value != "{{auto}}":
            return f"{prefix}:{value}"[:TAG_LENGTH]
    return None


def _context_tags(contexts: Any) -> list[tuple[str, str]]:
    """``browser: Chrome 80`` and ``browser.name: Chrome`` (and the same for os, runtime, device),
    as Relay writes them from the event's contexts."""
    if not isinstance(contexts, Mapping):
        return []
    found = []
    for context, tag in _CONTEXT_TAGS:
        body = contexts.get(context)
        if not isinstance(body, Mapping):
            continue
        name = _text(body.get("name") or body.get("model"))
        if not name:
            continue
        version = _text(body.get("version"))
        found.append((tag, f"{name} {version}" if version else name))
        found.append((f"{tag}.name", name))
    return found


def event_tags(event: Event) -> dict[str, str]:
    """Tag key → value of ``event`` (the SDK's own tags win over derived ones of the same key,
    except ``level``, ``environment`` and ``release``, which are the event's)."""
    data: Mapping[str, Any] = event.data if isinstance(event.data, Mapping) else {}
    tags: dict[str, str] = {}
    request = data.get("request")
    url = _text(request.get("url")) if isinstance(request, Mapping) else None
    derived = [
        ("server_name", _text(data.get("server_name"))),
        ("transaction", _text(event.transaction)),
        ("url", url.split("?", 1)[0] if url else None),
        ("dist", _text(data.get("dist"))),
        ("user", user_tag(data.get("user"))),
        *_context_tags(data.get("contexts")),
    ]
    tags.update((key, value) for key, value in derived if value)
    tags.update(event.tags)
    tags["level"] = event.level
    if event.environment:
        tags["environment"] = event.environment[:TAG_LENGTH]
    if event.release:
        tags["release"] = event.release[:TAG_LENGTH]
    return tags
