"""Grouping: the hash that decides which issue an event belongs to, after Sentry's default strategy.

- An exception contributes its type and its stack: the module (else the file's base name) and the
  function of each in-app frame. When no frame of the event is in-app, every frame counts (Sentry's
  "system" variant). An exception without contributing frames contributes its value instead,
  parameterized (``shared.ingest.parameterization``).
- Without an exception, the message contributes: its template (``logentry.message``, before its
  params are filled in) else its formatted text, cut to two lines and parameterized, so "Order 12345
  failed" and "Order 67890 failed" are one issue.
- A ``fingerprint`` replaces all that; each ``{{ default }}`` entry stands for the default
  components, so ``["{{ default }}"]`` groups exactly as no fingerprint does.

The hash is the MD5 hex of the components, as Sentry's hashes are 32 hex characters."""

from __future__ import annotations

import hashlib
import posixpath
import re

from shared.ingest.event import Event, ExceptionInfo, Frame
from shared.ingest.parameterization import message_for_grouping, parameterize

_DEFAULT = re.compile(r"^\s*\{\{\s*default\s*\}\}\s*$", re.IGNORECASE)


def frame_location(frame: Frame) -> str:
    """What identifies a frame's code: its module, else its file's base name."""
    if frame.module:
        return frame.module
    return posixpath.basename((frame.filename or "").replace("\\", "/")).lower()


def _exception_components(exception: ExceptionInfo, in_app_only: bool) -> list[str]:
    components = [f"type:{exception.type or ''}"]
    frames = [f for f in exception.frames if f.in_app or not in_app_only]
    located = [f"frame:{frame_location(f)}:{f.function or ''}" for f in frames if f.module or f.filename]
    if located:
        return components + located
    return [*components, f"value:{parameterize(exception.value or '')}"]


def default_components(event: Event) -> list[str]:
    """Sentry's default grouping input for the event (see the module docstring)."""
    if event.exceptions:
        in_app_only = any(f.in_app for e in event.exceptions for f in e.frames)
        return [c for e in event.exceptions for c in _exception_components(e, in_app_only)]
    message = _message_template(event)
    if message:
        return [f"message:{message_for_grouping(message)}"]
    return []


def _message_template(event: Event) -> str | None:
    """The message as Sentry's message strategy takes it: the template, else the formatted text."""
    logentry = event.data.get("logentry")
    template = logentry.get("message") if isinstance(logentry, dict) else None
    return template if isinstance(template, str) and template else event.message


def grouping_components(event: Event) -> list[str]:
    if not event.fingerprint:
        return default_components(event)
    components: list[str] = []
    for entry in event.fingerprint:
        if _DEFAULT.match(entry):
            components.extend(default_components(event))
        else:
            components.append(f"fingerprint:{entry}")
    return components


def event_hash(event: Event) -> str:
    """The grouping hash of the event (32 hex characters)."""
    joined = "\n".join(grouping_components(event))
    return hashlib.md5(joined.encode("utf-8"), usedforsecurity=False).hexdigest()
