"""An event as Sentry's event details answer it (``EventSerializer`` with its entries): the stored
latest event of a group, its exception entry in the shape of Sentry's ``Exception`` and
``Stacktrace`` interfaces (``get_api_context``: camelCase frames with ``context`` as
``[[lineNo, line], ...]``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from typing_extensions import TypedDict

from shared.serializers.dates import format_datetime
from shared.storage.issues import Group


class TagBody(TypedDict):
    key: str
    value: str


class EventBody(TypedDict):
    id: str
    eventID: str
    groupID: str
    projectID: str
    type: str
    title: str
    message: str
    culprit: str | None
    location: str | None
    metadata: dict[str, Any]
    platform: str
    dateCreated: str | None
    dateReceived: str | None
    tags: list[TagBody]
    entries: list[dict[str, Any]]
    contexts: dict[str, Any]
    context: dict[str, Any]
    user: None
    sdk: None
    dist: None
    errors: list[Any]
    fingerprints: list[str]
    packages: dict[str, Any]
    crashFile: None
    nextEventID: None
    previousEventID: None
    _meta: dict[str, Any]


def frame_context(frame: dict[str, Any]) -> list[list[Any]]:
    """Sentry's ``get_context``: the source lines around ``lineno``, each with its line number."""
    lineno, line = frame.get("lineno"), frame.get("context_line")
    if lineno is None or line is None:
        return []
    before, after = frame.get("pre_context") or [], frame.get("post_context") or []
    first = lineno - len(before)
    lines = [*before, line, *after]
    return [[first + i, text] for i, text in enumerate(lines) if first + i > 0]


def _frame(frame: dict[str, Any]) -> dict[str, Any]:
    return {
        "filename": frame.get("filename"),
        "absPath": frame.get("abs_path"),
        "module": frame.get("module"),
        "package": None,
        "platform": None,
        "instructionAddr": None,
        "symbolAddr": None,
        "function": frame.get("function"),
        "rawFunction": None,
        "symbol": None,
        "context": frame_context(frame),
        "lineNo": frame.get("lineno"),
        "colNo": frame.get("colno"),
        "inApp": bool(frame.get("in_app")),
        "trust": None,
        "errors": None,
        "lock": None,
        "sourceLink": None,
        "vars": None,
    }


def _exception(exception: dict[str, Any]) -> dict[str, Any]:
    frames = exception.get("frames") or []
    stacktrace = None
    if frames:
        stacktrace = {
            "frames": [_frame(f) for f in frames],
            "framesOmitted": exception.get("frames_omitted"),
            "registers": None,
            "hasSystemFrames": any(not f.get("in_app") for f in frames)
            and any(f.get("in_app") for f in frames),
        }
    return {
        "type": exception.get("type"),
        "value": exception.get("value"),
        "mechanism": None,
        "threadId": None,
        "module": exception.get("module"),
        "stacktrace": stacktrace,
        "rawStacktrace": None,
    }


def _entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    exceptions = document.get("exceptions") or []
    if exceptions:
        values = [_exception(e) for e in exceptions]
        entries.append(
            {
                "type": "exception",
                "data": {
                    "values": values,
                    "excOmitted": None,
                    "hasSystemFrames": any((v["stacktrace"] or {}).get("hasSystemFrames") for v in values),
                },
            }
        )
    if document.get("message"):
        entries.append(
            {"type": "message", "data": {"formatted": document["message"], "message": None, "params": None}}
        )
    return entries


def _tags(document: dict[str, Any]) -> list[TagBody]:
    """The SDK's tags plus the ones Sentry derives (``level``, ``environment``, ``release``),
    sorted by key as Sentry lists them."""
    tags = {key: value for key, value in document.get("tags") or []}
    for key in ("level", "environment", "release"):
        if document.get(key) and key not in tags:
            tags[key] = document[key]
    return [{"key": key, "value": tags[key]} for key in sorted(tags)]


def serialize_event(document: dict[str, Any], group: Group) -> EventBody:
    """The stored event ``document`` of ``group`` in Sentry's event details shape."""
    when = format_datetime(datetime.fromisoformat(document["timestamp"]))
    return {
        "id": document["event_id"],
        "eventID": document["event_id"],
        "groupID": str(group.id),
        "projectID": str(group.project_id),
        "type": document.get("type") or "default",
        "title": document.get("title") or "",
        "message": document.get("message") or "",
        "culprit": document.get("culprit"),
        "location": document.get("culprit"),
        "metadata": document.get("metadata") or {},
        "platform": document.get("platform") or "other",
        "dateCreated": when,
        "dateReceived": when,
        "tags": _tags(document),
        "entries": _entries(document),
        "contexts": {},
        "context": {},
        "user": None,
        "sdk": None,
        "dist": None,
        "errors": [],
        "fingerprints": [],
        "packages": {},
        "crashFile": None,
        "nextEventID": None,
        "previousEventID": None,
        "_meta": {},
    }
