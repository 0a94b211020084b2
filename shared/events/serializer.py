"""A kept event as Sentry's event endpoints answer it: ``EventSerializer`` (details, and the lists
with ``full``) and ``SimpleEventSerializer`` (the lists), with the interfaces' API shapes
(``get_api_context``: camelCase frames with ``context`` as ``[[lineNo, line], ...]``, request
headers and query as pairs, breadcrumb times as ISO text) and the tags Sentry derives from the
event (level, environment, release, user, server_name, logger, transaction, url, handled,
mechanism, os, runtime, browser, device).

It reads the payload leniently, as kept: an SDK's raw shapes (tags as an object, ``query_string``
as text, float timestamps) and Relay's normalized ones both serialize."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from typing_extensions import TypedDict

from shared.serializers.dates import format_datetime
from shared.serializers.events import frame_context
from shared.serializers.releases import serialize_event_release
from shared.storage.releases import Release

# Contexts whose name and version Sentry turns into tags (``<name>`` "name version", ``<name>.name``).
_VERSIONED_CONTEXTS = ("os", "runtime", "browser")
_USER_TAG_FIELDS = (("id", "id"), ("username", "username"), ("email", "email"), ("ip_address", "ip"))


class SimpleEventBody(TypedDict):
    id: str
    groupID: str
    eventID: str
    projectID: str
    message: str
    title: str
    location: str | None
    culprit: str | None
    user: dict[str, Any] | None
    tags: list[dict[str, str]]
    platform: str
    dateCreated: str | None
    crashFile: None
    metadata: dict[str, Any]


class EventBody(SimpleEventBody):
    type: str
    size: int | None
    entries: list[dict[str, Any]]
    dist: str | None
    contexts: dict[str, Any]
    context: dict[str, Any]
    sdk: dict[str, Any] | None
    release: dict[str, Any] | None
    dateReceived: str | None
    errors: list[dict[str, Any]]
    fingerprints: list[str]
    packages: dict[str, Any]
    occurrence: None
    userReport: None
    sdkUpdates: list[Any]
    resolvedWith: list[str]
    nextEventID: str | None
    previousEventID: str | None
    _meta: dict[str, Any]


class HashBody(TypedDict):
    id: str
    latestEvent: EventBody | None
    mergedBySeer: bool


class EventIdBody(TypedDict):
    organizationSlug: str
    projectSlug: str | None
    groupId: str
    eventId: str
    event: EventBody


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _values(container: Any) -> list[Any]:
    """An interface's ``values`` (Sentry accepts the list itself too)."""
    values = container.get("values") if isinstance(container, dict) else container
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return None


def _iso(value: Any) -> str | None:
    """A time as an SDK sends it (seconds since the epoch, or ISO text) as ISO text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return format_datetime(datetime.fromtimestamp(float(value), UTC))
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return format_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return None


def _pairs(value: Any) -> list[list[Any]]:
    """Headers, cookies or a query as Sentry's ``[[name, value], ...]``."""
    if isinstance(value, dict):
        return [[k, v] for k, v in value.items()]
    if isinstance(value, list):
        return [list(p) for p in value if isinstance(p, list | tuple) and len(p) == 2]
    if isinstance(value, str):
        pairs = []
        for part in value.replace(";", "&").split("&"):
            name, _, text = part.strip().partition("=")
            if name:
                pairs.append([name, text])
        return pairs
    return []


def serialize_frame(frame: dict[str, Any]) -> dict[str, Any]:
    return {
        "filename": frame.get("filename"),
        "absPath": frame.get("abs_path"),
        "module": frame.get("module"),
        "package": frame.get("package"),
        "platform": frame.get("platform"),
        "instructionAddr": frame.get("instruction_addr"),
        "symbolAddr": frame.get("symbol_addr"),
        "function": frame.get("function"),
        "rawFunction": frame.get("raw_function"),
        "symbol": frame.get("symbol"),
        "context": frame_context(frame) if isinstance(frame.get("lineno"), int) else [],
        "lineNo": frame.get("lineno"),
        "colNo": frame.get("colno"),
        "inApp": frame.get("in_app") is True,
        "trust": frame.get("trust"),
        "errors": None,
        "lock": frame.get("lock"),
        "sourceLink": None,
        "vars": frame.get("vars"),
    }


def _stacktrace(stacktrace: Any) -> dict[str, Any] | None:
    frames = [f for f in _dict(stacktrace).get("frames") or [] if isinstance(f, dict)]
    if not frames:
        return None
    in_app = [f.get("in_app") is True for f in frames]
    return {
        "frames": [serialize_frame(f) for f in frames],
        "framesOmitted": _dict(stacktrace).get("frames_omitted"),
        "registers": _dict(stacktrace).get("registers"),
        "hasSystemFrames": any(in_app) and not all(in_app),
    }


def _exception_entry(data: dict[str, Any]) -> dict[str, Any] | None:
    values = []
    for exception in _values(data.get("exception")):
        if exception.get("type") is None and exception.get("value") is None:
            continue
        values.append(
            {
                "type": exception.get("type"),
                "value": _text(exception.get("value")),
                "mechanism": exception.get("mechanism")
                if isinstance(exception.get("mechanism"), dict)
                else None,
                "threadId": exception.get("thread_id"),
                "module": exception.get("module"),
                "stacktrace": _stacktrace(exception.get("stacktrace")),
                "rawStacktrace": _stacktrace(exception.get("raw_stacktrace")),
            }
        )
    if not values:
        return None
    system = any((v["stacktrace"] or {}).get("hasSystemFrames") for v in values)
    return {"type": "exception", "data": {"values": values, "excOmitted": None, "hasSystemFrames": system}}


def _threads_entry(data: dict[str, Any]) -> dict[str, Any] | None:
    values = [
        {
            "id": thread.get("id"),
            "current": thread.get("current"),
            "crashed": thread.get("crashed"),
            "name": thread.get("name"),
            "state": thread.get("state"),
            "stacktrace": _stacktrace(thread.get("stacktrace")),
            "rawStacktrace": _stacktrace(thread.get("raw_stacktrace")),
        }
        for thread in _values(data.get("threads"))
    ]
    return {"type": "threads", "data": {"values": values}} if values else None


def _breadcrumbs_entry(data: dict[str, Any]) -> dict[str, Any] | None:
    values = [
        {
            "type": crumb.get("type") or "default",
            "timestamp": _iso(crumb.get("timestamp")),
            "level": crumb.get("level") or "info",
            "message": crumb.get("message"),
            "category": crumb.get("category"),
            "data": crumb.get("data"),
            "event_id": crumb.get("event_id"),
        }
        for crumb in _values(data.get("breadcrumbs"))
    ]
    return {"type": "breadcrumbs", "data": {"values": values}} if values else None


def _request_entry(data: dict[str, Any]) -> dict[str, Any] | None:
    request = _dict(data.get("request"))
    if not request:
        return None
    headers = sorted(_pairs(request.get("headers")), key=lambda pair: str(pair[0]))
    content_type = next((v for k, v in headers if str(k).lower() == "content-type"), None)
    body = request.get("data")
    inferred = content_type if isinstance(content_type, str) else None
    if inferred is None and isinstance(body, dict | list):
        inferred = "application/json"
    return {
        "type": "request",
        "data": {
            "url": request.get("url"),
            "method": request.get("method"),
            "query": _pairs(request.get("query_string") or request.get("query")),
            "fragment": request.get("fragment"),
            "data": body,
            "headers": headers,
            "cookies": _pairs(request.get("cookies")),
            "env": request.get("env"),
            "inferredContentType": inferred,
            "apiTarget": request.get("api_target"),
        },
    }


def _logentry(data: dict[str, Any]) -> dict[str, Any]:
    """``logentry`` (or the legacy ``message``) as ``{formatted, message, params}``."""
    for container in (data.get("logentry"), data.get("message")):
        if isinstance(container, dict):
            formatted = _text(container.get("formatted")) or _text(container.get("message"))
            if formatted:
                return {
                    "formatted": formatted,
                    "message": _text(container.get("message")),
                    "params": container.get("params"),
                }
        elif _text(container):
            return {"formatted": _text(container), "message": None, "params": None}
    return {}


def _message_entry(data: dict[str, Any]) -> dict[str, Any] | None:
    logentry = _logentry(data)
    return {"type": "message", "data": logentry} if logentry else None


def entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's interfaces in Sentry's order (by their display score)."""
    found = (
        _exception_entry(data),
        _message_entry(data),
        _threads_entry(data),
        _breadcrumbs_entry(data),
        _request_entry(data),
    )
    return [entry for entry in found if entry is not None]


def serialize_user(data: dict[str, Any]) -> dict[str, Any] | None:
    user = _dict(data.get("user"))
    if not user:
        return None
    # ``sentry_user`` is Relay's derived key (``id:42``), shown as the event's ``user`` tag instead.
    known = {"id", "email", "username", "ip_address", "name", "geo", "data", "sentry_user"}
    extra = {k: v for k, v in user.items() if k not in known}
    return {
        "id": _text(user.get("id")),
        "email": user.get("email"),
        "username": user.get("username"),
        "ip_address": user.get("ip_address"),
        "name": user.get("name"),
        "geo": user.get("geo"),
        "data": {**_dict(user.get("data")), **extra} or None,
    }


def _contexts(data: dict[str, Any]) -> dict[str, Any]:
    """Each context with its ``type`` (its key, when the SDK did not name one), as Relay keeps it."""
    return {
        name: {"type": name, **context} if "type" not in context else context
        for name, context in _dict(data.get("contexts")).items()
        if isinstance(context, dict)
    }


def _sdk_tags(data: dict[str, Any]) -> dict[str, str]:
    tags = data.get("tags")
    pairs = tags.items() if isinstance(tags, dict) else tags if isinstance(tags, list) else ()
    found = {}
    for pair in pairs:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            key, value = _text(pair[0]), _text(pair[1])
            if key and value is not None:
                found[key] = value
    return found


def _user_tag(data: dict[str, Any]) -> str | None:
    user = _dict(data.get("user"))
    for name, prefix in _USER_TAG_FIELDS:
        value = _text(user.get(name))
        if value and value != "{{auto}}":
            return f"{prefix}:{value}"
    return None


def _derived_tags(document: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """The tags Sentry adds to every event from its fields and contexts."""
    derived: dict[str, str | None] = {
        "level": _text(data.get("level")) or "error",
        "environment": _text(data.get("environment")),
        "release": document.get("release") or _text(data.get("release")),
        "dist": _text(data.get("dist")),
        "user": _user_tag(data),
        "server_name": _text(data.get("server_name")),
        "logger": _text(data.get("logger")),
        "transaction": _text(data.get("transaction")),
        "url": _text(_dict(data.get("request")).get("url")),
    }
    contexts = _dict(data.get("contexts"))
    for name in _VERSIONED_CONTEXTS:
        context = _dict(contexts.get(name))
        context_name = _text(context.get("name"))
        if context_name:
            version = _text(context.get("version"))
            derived[name] = f"{context_name} {version}" if version else context_name
            derived[f"{name}.name"] = context_name
    device = _dict(contexts.get("device"))
    derived["device"] = _text(device.get("model"))
    derived["device.family"] = _text(device.get("family"))
    mechanisms = [_dict(e.get("mechanism")) for e in _values(data.get("exception"))]
    mechanisms = [m for m in mechanisms if m]
    if mechanisms:
        handled = [m.get("handled") for m in mechanisms if isinstance(m.get("handled"), bool)]
        if handled:
            derived["handled"] = "yes" if all(handled) else "no"
        derived["mechanism"] = _text(mechanisms[-1].get("type"))
    return {key: value for key, value in derived.items() if value}


def serialize_tags(document: dict[str, Any]) -> list[dict[str, str]]:
    """The SDK's tags and the derived ones (the SDK's win), sorted by key as Sentry lists them."""
    data = _dict(document.get("data"))
    tags = {**_derived_tags(document, data), **_sdk_tags(data)}
    return [{"key": key, "value": tags[key]} for key in sorted(tags)]


def _release(document: dict[str, Any], release: Release | None) -> dict[str, Any] | None:
    """The event's release as the releases table has it (Sentry reads it by project and version);
    only its version when it is not read (event lists) or not one of the project's."""
    version = document.get("release")
    if not version:
        return None
    if release is not None and release.version == version:
        return dict(serialize_event_release(release))
    return {"version": version, "shortVersion": version}


# Sentry's ``EventError`` messages, by type, for the problems Relay and symbolication record.
_ERROR_MESSAGES = {
    "invalid_data": "Discarded invalid value",
    "invalid_attribute": "Discarded unknown attribute",
    "missing_attribute": "Missing value for required attribute",
    "value_too_long": "Discarded value due to exceeding maximum length",
    "future_timestamp": "Invalid timestamp (in future)",
    "past_timestamp": "Invalid timestamp (too old)",
    "clock_drift": "Clock drift detected in SDK",
    "invalid_environment": 'Environment cannot contain "/" or newlines',
    "js_generic_fetch_error": "Unable to fetch resource",
    "js_no_column": "Cannot apply sourcemap because stacktrace frame is missing column information",
    "js_no_source": "Source code was not found",
    "js_invalid_source": "Sourcemap was invalid or not parseable",
    "js_invalid_sourcemap_location": (
        "Location from stackframe mapped to an invalid location in original code"
    ),
    "js_missing_sources_content": "Missing Sources Context",
}


def _errors(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Processing problems as Sentry's ``EventError.get_api_context``: ``type``, the message its
    type names (``Unknown error`` for one Sentry has none for), and the rest as ``data``."""
    return [
        {
            "type": error["type"],
            "message": _ERROR_MESSAGES.get(error["type"], "Unknown error"),
            "data": {k: v for k, v in error.items() if k != "type"},
        }
        for error in data.get("errors") or []
        if isinstance(error, dict) and isinstance(error.get("type"), str)
    ]


def serialize_simple(document: dict[str, Any], group_id: int) -> SimpleEventBody:
    """Sentry's ``SimpleEventSerializer``: what the event lists answer without ``full``."""
    data = _dict(document.get("data"))
    body = {
        "id": document["event_id"],
        "event.type": document.get("type") or "default",
        "groupID": str(group_id),
        "eventID": document["event_id"],
        "projectID": str(document["project_id"]),
        "message": _message_text(document, data),
        "title": document.get("title") or "",
        "location": document.get("culprit"),
        "culprit": document.get("culprit"),
        "user": serialize_user(data),
        "tags": serialize_tags(document),
        "platform": data.get("platform") or "other",
        "dateCreated": document.get("timestamp"),
        "crashFile": None,
        "metadata": document.get("metadata") or {},
    }
    return cast(SimpleEventBody, body)


def _message_text(document: dict[str, Any], data: dict[str, Any]) -> str:
    """Sentry's ``message`` of an event: its log message, else the title."""
    return _logentry(data).get("formatted") or document.get("message") or document.get("title") or ""


def serialize_full(document: dict[str, Any], group_id: int, release: Release | None = None) -> EventBody:
    """Sentry's ``EventSerializer`` (event details, with the event's ``release`` item as read;
    the lists with ``full``)."""
    data = _dict(document.get("data"))
    sdk = _dict(data.get("sdk"))
    body = {
        **serialize_simple(document, group_id),
        "type": document.get("type") or "default",
        "size": document.get("size"),
        "entries": entries(data),
        "dist": _text(data.get("dist")),
        "contexts": _contexts(data),
        "context": _dict(data.get("extra")),
        "sdk": {**sdk, "name": sdk.get("name"), "version": sdk.get("version")} if sdk else None,
        "release": _release(document, release),
        "dateReceived": document.get("received"),
        "errors": _errors(data),
        "fingerprints": [document["hash"]] if document.get("hash") else [],
        "packages": _dict(data.get("modules")),
        "occurrence": None,
        "userReport": None,
        "sdkUpdates": [],
        "resolvedWith": [],
        "nextEventID": None,
        "previousEventID": None,
    }
    body["_meta"] = _meta(data, body)
    return cast(EventBody, body)


# An entry's type → the event field whose ``_meta`` describes its data.
_ENTRY_FIELDS = {
    "exception": "exception",
    "message": "logentry",
    "threads": "threads",
    "breadcrumbs": "breadcrumbs",
    "request": "request",
}


def _meta(data: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Sentry's ``_meta`` of an event body: what normalization and scrubbing changed (Relay's
    remarks and original lengths), per entry and for ``context`` (extra), ``contexts``, ``user``,
    ``sdk``, ``tags`` and ``message``; a string's remarks come with its chunks, as Sentry's
    serializer splits them (``meta_with_chunks``)."""
    meta = _dict(data.get("_meta"))
    if not meta:
        return {}
    from sentry_relay.processing import meta_with_chunks

    def of(field: str, value: Any) -> Any:
        found = meta.get(field)
        return meta_with_chunks(value, found) if found else None

    entries_meta = {}
    for index, entry in enumerate(body["entries"]):
        field = _ENTRY_FIELDS.get(entry["type"])
        found = of(field, data.get(field)) if field else None
        if found:
            entries_meta[str(index)] = {"data": found}
    message = _dict(meta.get("logentry")).get("formatted")
    parts = {
        "entries": entries_meta,
        "message": meta_with_chunks(body.get("message"), message) if message else None,
        "user": of("user", data.get("user")),
        "contexts": of("contexts", data.get("contexts")),
        "sdk": of("sdk", data.get("sdk")),
        "context": of("extra", data.get("extra")),
        "tags": of("tags", data.get("tags")),
    }
    return {key: value for key, value in parts.items() if value}
