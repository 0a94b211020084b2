"""An event as the pipeline works with it: Sentry's normalized event (``shared.events.normalization``,
Relay's own rules) and the few fields of it that grouping and issues read, read the way Sentry reads
them (title, culprit and metadata as Sentry's ErrorEvent / DefaultEvent).

Only what makes the event unusable is a 400, checked cheaply at the edge (``check_event``) before
anything is queued: a payload that is not an object, or an ``event_id`` that is not a UUID. The
processor normalizes each event once (``normalize_event``); an optional field of the wrong shape is
then dropped by Relay and listed in the event's ``errors``, not fatal."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.errors import BadRequest, ValidationFailed
from shared.events.normalization import MAX_DEPTH, normalize
from shared.releases.versions import MAX_VERSION_LENGTH, is_valid_version

if TYPE_CHECKING:
    from shared.events.scrubbing import PiiConfigs

TITLE_LENGTH = 100
CULPRIT_LENGTH = 200
VALUE_LENGTH = 1024
# Relay's limits for symbols (exception types, functions, modules) and paths: whatever an SDK
# sends, a group row stays far below DynamoDB's 400 KB item limit.
SYMBOL_LENGTH = 256
# What the issue page shows of a frame's source: a few lines each side of the line, each cut short.
CONTEXT_LINES = 5
CONTEXT_LENGTH = 200
# Tags kept with an event (Relay's own key/value limits: 200 characters each).
MAX_TAGS = 50
TAG_LENGTH = 200
UNLABELED = "<unlabeled event>"
DEFAULT_EXCEPTION_TYPE = "Error"
_NO_FUNCTION = {None, "<redacted>", "<unknown>"}


@dataclass(frozen=True)
class Frame:
    module: str | None
    filename: str | None
    function: str | None
    in_app: bool
    abs_path: str | None = None
    lineno: int | None = None
    colno: int | None = None
    context_line: str | None = None
    pre_context: tuple[str, ...] = ()
    post_context: tuple[str, ...] = ()
    # The frame's own platform, when it names one: a culprit is written in its platform's form.
    platform: str | None = None


@dataclass(frozen=True)
class ExceptionInfo:
    type: str | None
    value: str | None
    frames: tuple[Frame, ...]  # oldest first, as in the payload
    module: str | None = None
    # ``mechanism.synthetic``: the SDK made the exception up (a message with a stack trace, a
    # signal); Sentry titles such an event by its crash frame, not by the exception's type.
    synthetic: bool = False


@dataclass(frozen=True)
class Event:
    event_id: str
    timestamp: datetime
    level: str
    release: str | None
    transaction: str | None
    message: str | None
    exceptions: tuple[ExceptionInfo, ...]
    fingerprint: tuple[str, ...] | None
    user_hash: str | None
    platform: str | None = None
    environment: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    # The time the SDK gave the event, as sent (None: none, or unreadable), even when ``timestamp``
    # had to take the time received instead: every delivery of the event carries the same one.
    claimed_timestamp: datetime | None = None
    # The whole event as the pipeline keeps it (what the event store writes and the event endpoints
    # serve); not part of the event's identity.
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def type(self) -> str:
        """Sentry's event type: ``error`` with an exception, else ``default``."""
        return "error" if self.exceptions else "default"

    @property
    def main_exception(self) -> ExceptionInfo | None:
        """The exception Sentry titles the event by: the last one (the one raised last)."""
        return self.exceptions[-1] if self.exceptions else None

    @property
    def metadata(self) -> dict[str, Any]:
        """Sentry's ErrorEvent metadata: the exception's type (``Error`` when it names none; left out
        for a synthetic exception), its value and the crash frame's file and function."""
        exception = self.main_exception
        if exception is None:
            return {"title": self.title}
        frame = _crash_frame(exception.frames)
        metadata: dict[str, Any] = {"value": exception.value or ""}
        if not exception.synthetic:
            metadata["type"] = exception.type or DEFAULT_EXCEPTION_TYPE
        if frame is not None:
            metadata["filename"] = frame.filename
            metadata["function"] = frame.function
        return {k: v for k, v in metadata.items() if v is not None}

    @property
    def title(self) -> str:
        exception = self.main_exception
        if exception is None:
            first_line = (self.message or "").strip().splitlines()[:1]
            return _truncate(first_line[0], TITLE_LENGTH) if first_line else UNLABELED
        metadata = self.metadata
        if "type" not in metadata:
            return metadata.get("function") or "<unknown>"
        first_line = (exception.value or "").strip().splitlines()[:1]
        if not first_line:
            return metadata["type"]
        return f"{metadata['type']}: {_truncate(first_line[0], TITLE_LENGTH)}"

    @property
    def culprit(self) -> str | None:
        """As Sentry's ``get_culprit``: the SDK's own ``culprit``, else the transaction, else the
        culprit of the stack trace (``generate_culprit``: the last exception's, else the event's own
        ``stacktrace``; none for a synthetic exception), else the request's URL."""
        named = _text(self.data.get("culprit")) or self.transaction
        if named:
            return _truncate(named, CULPRIT_LENGTH)
        exception = self.main_exception
        if exception is not None and exception.synthetic:
            return None
        with_frames = [e.frames for e in self.exceptions if e.frames]
        frames = with_frames[-1] if with_frames else () if self.exceptions else self.frames
        culprit = _stacktrace_culprit(frames, self.platform)
        if not culprit:
            request = self.data.get("request")
            culprit = _text(request.get("url")) if isinstance(request, Mapping) else None
        return _truncate(culprit, CULPRIT_LENGTH) if culprit else None

    @property
    def frames(self) -> tuple[Frame, ...]:
        """The frames of the event's own ``stacktrace`` (an event without exception may carry one)."""
        return _frames(self.data.get("stacktrace"))


def _stacktrace_culprit(frames: tuple[Frame, ...], platform: str | None) -> str | None:
    """Sentry's ``get_stacktrace_culprit``: the newest in-app frame that names a place, else the
    newest frame that is not in-app (whatever it names)."""
    default = None
    for frame in reversed(frames):
        if frame.in_app:
            culprit = _frame_culprit(frame, platform)
            if culprit:
                return culprit
        elif default is None:
            default = _frame_culprit(frame, platform)
    return default


def _frame_culprit(frame: Frame, platform: str | None) -> str:
    """A frame as a culprit, in its platform's form (the frame's own platform first): native code by
    its function, JavaScript as ``function(module)``, anything else ``module in function``."""
    platform = frame.platform or platform
    if platform in ("objc", "cocoa", "native"):
        return frame.function or "?"
    location = frame.module or frame.filename
    if not location:
        return ""
    if platform in ("javascript", "node"):
        return f"{frame.function or '?'}({location})"
    return f"{_truncate(location, 100)} in {_truncate(frame.function or '?', 100)}"


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 3] + "..."


def _crash_frame(frames: tuple[Frame, ...]) -> Frame | None:
    """The frame Sentry names the crash location: the culprit frame among those with a function."""
    return _culprit_frame(tuple(f for f in frames if f.function not in _NO_FUNCTION))


def _culprit_frame(frames: tuple[Frame, ...]) -> Frame | None:
    in_app = [f for f in frames if f.in_app]
    candidates = in_app or list(frames)
    return candidates[-1] if candidates else None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _event_id(value: Any) -> str:
    if value is None:
        return uuid.uuid4().hex
    try:
        return uuid.UUID(str(value)).hex
    except ValueError:
        raise ValidationFailed({"event_id": ["Invalid event_id: expected a UUID."]}) from None


def _claimed(value: Any) -> datetime | None:
    """The time an SDK's ``timestamp`` names (UTC), whether plausible or not; None when unreadable."""
    when: datetime | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            when = datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            when = None
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            when = None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC) if when is not None else None
    except OverflowError:  # an offset that leaves the calendar (year 1 or 9999)
        return None


def _message(logentry: Any) -> str | None:
    """``logentry.formatted`` (Relay formats it from ``params``, and moves a bare ``message`` into
    ``logentry``), else its ``message``."""
    if not isinstance(logentry, dict):
        return None
    return _text(logentry.get("formatted")) or _text(logentry.get("message")) or None


def _release(value: str | None) -> str | None:
    """The event's release, which Relay already dropped when invalid; our own version rules (what
    the releases API accepts) stay the guard that no release row gets a version it would refuse."""
    version = value.strip() if value else None
    if not version or len(version) > MAX_VERSION_LENGTH or not is_valid_version(version):
        return None
    return version


def _bounded(value: Any) -> str | None:
    """A symbol or path as text, cut to ``SYMBOL_LENGTH``."""
    text = _text(value)
    return text[:SYMBOL_LENGTH] if text else text


def _line_number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _source_line(value: Any) -> str | None:
    text = _text(value)
    return text[:CONTEXT_LENGTH] if text is not None else None


def _context(value: Any, newest: bool) -> tuple[str, ...]:
    """``pre_context`` keeps its last lines (nearest the line), ``post_context`` its first."""
    if not isinstance(value, list):
        return ()
    lines = [_source_line(line) or "" for line in value]
    return tuple(lines[-CONTEXT_LINES:] if newest else lines[:CONTEXT_LINES])


def _frames(stacktrace: Any) -> tuple[Frame, ...]:
    if not isinstance(stacktrace, dict) or not isinstance(stacktrace.get("frames"), list):
        return ()
    frames = []
    for raw in stacktrace["frames"]:
        if not isinstance(raw, dict):
            continue
        frames.append(
            Frame(
                module=_bounded(raw.get("module")),
                filename=_bounded(raw.get("filename")) or _bounded(raw.get("abs_path")),
                function=_bounded(raw.get("function")),
                in_app=raw.get("in_app") is True,
                abs_path=_bounded(raw.get("abs_path")),
                lineno=_line_number(raw.get("lineno")),
                colno=_line_number(raw.get("colno")),
                context_line=_source_line(raw.get("context_line")),
                pre_context=_context(raw.get("pre_context"), newest=True),
                post_context=_context(raw.get("post_context"), newest=False),
                platform=_bounded(raw.get("platform")),
            )
        )
    return tuple(frames)


def _exceptions(event: dict[str, Any]) -> tuple[ExceptionInfo, ...]:
    container = event.get("exception")  # Relay makes a bare list ``{"values": [...]}``
    values = container.get("values") if isinstance(container, dict) else None
    if not isinstance(values, list):
        return ()
    exceptions = []
    for raw in values:
        if not isinstance(raw, dict):
            continue
        exception_type, value = _bounded(raw.get("type")), _text(raw.get("value"))
        if exception_type is None and value is None:
            continue
        mechanism = raw.get("mechanism")
        exceptions.append(
            ExceptionInfo(
                type=exception_type,
                value=value[:VALUE_LENGTH] if value else value,
                frames=_frames(raw.get("stacktrace")),
                module=_bounded(raw.get("module")),
                synthetic=isinstance(mechanism, dict) and mechanism.get("synthetic") is True,
            )
        )
    return tuple(exceptions)


def _fingerprint(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not value:
        return None
    parts = [_text(part) if not isinstance(part, bool) else str(part).lower() for part in value]
    return tuple(p for p in parts if p is not None) or None


def _user_hash(user: Any) -> str | None:
    """Sentry's ``sentry:user`` tag (``id:…``, ``username:…``, ``email:…``, ``ip:…``, which Relay
    puts in ``user.sentry_user``), hashed: the counts need distinct users, not who they are. An
    ``{{auto}}`` address left unresolved names nobody."""
    tag = _text(user.get("sentry_user")) if isinstance(user, dict) else None
    if not tag or "{{auto}}" in tag:
        return None
    return hashlib.md5(tag.encode(), usedforsecurity=False).hexdigest()


def _tags(value: Any) -> tuple[tuple[str, str], ...]:
    """The event's ``tags`` (pairs, as Relay leaves them, its own limits applied), the first
    ``MAX_TAGS``, each cut to ``TAG_LENGTH``."""
    tags = []
    for pair in value if isinstance(value, list) else ():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        key, text = _text(pair[0]), _text(pair[1])
        if key and text is not None:
            tags.append((key[:TAG_LENGTH], text[:TAG_LENGTH]))
    return tuple(tags[:MAX_TAGS])


def _time(value: Any, received: datetime) -> datetime:
    """A time Relay wrote (seconds since the epoch), else the time received."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    return received


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than ``limit`` levels deep in ``value`` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def check_event(payload: Any) -> str:
    """The edge's cheap check, before anything is queued: the payload is an object Relay can read
    (nested at most ``MAX_DEPTH`` levels) with a usable ``event_id`` (400 otherwise). Returns the
    event's id (a new one when it names none)."""
    if not isinstance(payload, dict):
        raise BadRequest("Invalid event: not a JSON object")
    if _deeper_than(payload, MAX_DEPTH):
        raise BadRequest(f"Invalid event: objects and arrays nested more than {MAX_DEPTH} levels deep")
    return _event_id(payload.get("event_id"))


def normalize_event(
    payload: Any,
    received: datetime,
    project_id: int | None = None,
    client_ip: str | None = None,
    pii_configs: PiiConfigs = (),
) -> Event:
    """The event the pipeline works with: normalized once as Sentry's store does (and scrubbed with
    ``pii_configs``), then read; 400 when the payload cannot be an event at all."""
    event_id = check_event(payload)
    data = normalize({**payload, "event_id": event_id}, project_id, received, client_ip, pii_configs)
    return Event(
        event_id=event_id,
        timestamp=_time(data.get("timestamp"), received),
        level=_text(data.get("level")) or "error",
        release=_release(_text(data.get("release"))),
        transaction=_text(data.get("transaction")) or None,
        message=_message(data.get("logentry")),
        exceptions=_exceptions(data),
        fingerprint=_fingerprint(data.get("fingerprint")),
        user_hash=_user_hash(data.get("user")),
        platform=_bounded(data.get("platform")),
        environment=_bounded(data.get("environment")),
        tags=_tags(data.get("tags")),
        claimed_timestamp=_claimed(payload.get("timestamp")),
        data=data,
    )
