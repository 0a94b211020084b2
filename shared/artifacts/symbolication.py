"""JavaScript frames resolved through uploaded source maps, in the processor, before grouping (so an
issue groups by the original code, as Sentry's does).

A frame's map is found by the debug id ``sentry-cli sourcemaps inject`` gave its file (the event's
``debug_meta.images`` of type ``sourcemap``), else by the event's release and dist and the frame's
URL (exact, then as ``~/<path>``), through the minified file's ``sourcemap`` reference. The frame
then shows the original file, line, column and function with context lines from the map's
``sourcesContent``; the minified frames stay as the exception's ``raw_stacktrace``, and what went
wrong is an entry of the event's ``errors`` (Sentry's types), never a failed event.

A warm processor keeps what it read: index lookups for a minute (a map uploaded after a miss is
seen within it), bundles and parsed maps in bounded LRUs keyed by content checksum (immutable). A
storm of one error thus costs one lookup and one bundle fetch per container, not per event."""

from __future__ import annotations

import base64
import binascii
import copy
import io
import re
import time
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

from aws_lambda_powertools import Logger
from symbolic import SymbolicError
from symbolic.sourcemap import SourceMapView, SourceView

from shared.artifacts.modules import frame_module
from shared.config import settings
from shared.events.scrubbing import PiiConfigs
from shared.ingest.event import Event, normalize_event
from shared.storage.artifacts import SourceFileIndex, debug_id_pk, url_pk
from shared.storage.objects import s3

logger = Logger(child=True)
JS_PLATFORMS = {"javascript", "node"}
CONTEXT_LINES = 5
INDEX_TTL_SECONDS = 60
# Memory a warm processor spends on caches (it runs with 512 MB beside a batch of events): bundle
# zips, and parsed maps and minified files by the size of their text.
MAX_BUNDLE_BYTES = 48 * 1024 * 1024
MAX_PARSED_BYTES = 48 * 1024 * 1024
MAX_LINE_LENGTH = 300  # a context line longer than this is cut (minified sources)
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")
_INLINE_MARK = b"sourceMappingURL=data:"  # an inline map's comment, before its data URL


class _Lru(OrderedDict[Any, Any]):
    """A least-recently-used map bounded by entries or by a size measure of its values."""

    def __init__(self, limit: int, size: Any = lambda value: 1) -> None:
        super().__init__()
        self.limit, self.size, self.total = limit, size, 0

    def get_fresh(self, key: Any) -> Any:
        if key not in self:
            return None
        self.move_to_end(key)
        return self[key]

    def clear(self) -> None:
        super().clear()
        self.total = 0

    def put(self, key: Any, value: Any) -> None:
        if key in self:
            self.total -= self.size(self.pop(key))
        self[key] = value
        self.total += self.size(value)
        while self.total > self.limit and len(self) > 1:
            _, evicted = self.popitem(last=False)
            self.total -= self.size(evicted)


_index = _Lru(4096)  # (pk, sk) -> (found item or None, read at)
_bundles = _Lru(MAX_BUNDLE_BYTES, size=lambda data: len(data) if data else 1)  # checksum -> zip bytes
# (checksum, path) -> (SourceMapView or SourceView or a bad map's parse error, bytes of its text)
_parsed_files = _Lru(MAX_PARSED_BYTES, size=lambda entry: max(1, entry[1]))


@dataclass(frozen=True)
class _Found:
    checksum: str
    path: str
    sourcemap: str | None
    file_type: str


def _lookup(pk: str, sk: str) -> _Found | None:
    cached = _index.get_fresh((pk, sk))
    if cached is not None and time.monotonic() - cached[1] < INDEX_TTL_SECONDS:
        return cached[0]
    try:
        item = SourceFileIndex.get(pk, sk)
    except SourceFileIndex.DoesNotExist:
        item = None
    if item is not None and item.expires_at is not None and item.expires_at < time.time():
        item = None  # past its retention, before DynamoDB's TTL removes it
    found = _Found(item.checksum, item.path, item.sourcemap, item.file_type) if item is not None else None
    _index.put((pk, sk), (found, time.monotonic()))
    return found


def _bundle(org_id: int, checksum: str) -> zipfile.ZipFile | None:
    from shared.artifacts.bundles import bundle_key

    data = _bundles.get_fresh(checksum)
    if data is None:
        try:
            body = s3().get_object(Bucket=settings().artifacts_bucket, Key=bundle_key(org_id, checksum))[
                "Body"
            ]
            data = body.read()
        except s3().exceptions.NoSuchKey:
            data = b""
        _bundles.put(checksum, data)
    return zipfile.ZipFile(io.BytesIO(data)) if data else None


def _member(org_id: int, found: _Found) -> bytes | None:
    archive = _bundle(org_id, found.checksum)
    try:
        return archive.read(found.path) if archive is not None else None
    except (KeyError, zipfile.BadZipFile):
        return None


def _parsed(org_id: int, found: _Found, parse: Any, kind: str = "") -> Any:
    """A file of a bundle parsed by ``parse`` (cached with its size, under ``kind`` beside other
    readings of the same file); None if it is gone."""
    key = (found.checksum, found.path, kind)
    entry = _parsed_files.get_fresh(key)
    if entry is None:
        data = _member(org_id, found)
        if data is None:
            return None
        entry = (parse(data), len(data))
        _parsed_files.put(key, entry)
    return entry[0]


def _parse_map(data: bytes) -> SourceMapView | str:
    try:
        return SourceMapView.from_json_bytes(data)
    except SymbolicError as error:
        return str(error) or "invalid source map"


def _map(org_id: int, found: _Found) -> SourceMapView | str | None:
    """The parsed map of an index hit; the parse error's text for a bad map; None if gone."""
    return _parsed(org_id, found, _parse_map)


def _parse_inline_map(data: bytes) -> SourceMapView | str | None:
    """The map a minified file carries itself (its last ``//# sourceMappingURL=data:…``, base64 or
    percent-encoded, as bundlers write inline source maps); None when it has none."""
    at = data.rfind(_INLINE_MARK)
    if at < 0 or b"//" not in data[max(0, at - 4) : at]:
        return None
    words = data[at + len(_INLINE_MARK) :].split(None, 1)
    media_type, comma, payload = (words[0] if words else b"").partition(b",")
    if not comma:
        return "invalid data URL: no comma"
    try:
        if media_type.endswith(b";base64"):
            return _parse_map(base64.b64decode(payload, validate=True))
        return _parse_map(unquote_to_bytes(payload))
    except (binascii.Error, ValueError) as error:
        return f"invalid data URL: {error}"


def _inline_map(org_id: int, minified: _Found | None) -> SourceMapView | str | None:
    return _parsed(org_id, minified, _parse_inline_map, "inline") if minified is not None else None


def url_candidates(url: str) -> list[str]:
    """The names an uploaded file may match a frame's URL by: itself, without its query string, and
    as ``~/<path>`` (any host), as Sentry tries them."""
    parts = urlsplit(url)
    bare = url.split("?", 1)[0].split("#", 1)[0]
    path = parts.path if parts.scheme or url.startswith("/") else "/" + parts.path
    return list(dict.fromkeys([url, bare, "~" + path]))


def _minified(org_id: int, found: _Found | None) -> SourceView | None:
    """The minified file itself, which names the original function of a frame (its scope)."""
    return _parsed(org_id, found, SourceView.from_bytes) if found is not None else None


@dataclass
class _Resolved:
    view: SourceMapView
    map_url: str
    how: str  # debug-id | release
    base: str  # what the map's relative source names resolve against
    minified: SourceView | None = None


class _EventContext:
    """What resolving one event's frames shares: its project, release, dist, debug ids, errors."""

    def __init__(self, payload: dict[str, Any], project_id: int, org_id: int) -> None:
        self.project_id, self.org_id = project_id, org_id
        self.release = payload.get("release") if isinstance(payload.get("release"), str) else None
        self.dist = payload.get("dist") if isinstance(payload.get("dist"), str) else None
        images = (payload.get("debug_meta") or {}).get("images") or []
        self.debug_ids = {
            image["code_file"]: str(image["debug_id"]).lower()
            for image in images
            if isinstance(image, dict)
            and image.get("type") == "sourcemap"
            and image.get("code_file")
            and image.get("debug_id")
        }
        self.errors: list[dict[str, Any]] = []
        self._reported: set[tuple[str, str]] = set()
        self._resolved: dict[str, _Resolved | None] = {}

    def error(self, kind: str, **data: Any) -> None:
        key = (kind, str(data.get("url") or data.get("source")))
        if key not in self._reported:
            self._reported.add(key)
            self.errors.append({"type": kind, **data})

    def resolve(self, abs_path: str) -> _Resolved | None:
        if abs_path not in self._resolved:
            self._resolved[abs_path] = self._find(abs_path)
        return self._resolved[abs_path]

    def _usable(self, found: _Found | None, map_url: str, how: str, base: str) -> _Resolved | None:
        if found is None:
            return None
        view = _map(self.org_id, found)
        if isinstance(view, str):
            self.error("js_invalid_source", url=map_url, reason=view)
            return None
        return _Resolved(view, map_url, how, base) if view is not None else None

    def _inline(
        self, minified: _Found | None, map_url: str, how: str, base: str
    ) -> tuple[bool, _Resolved | None]:
        """Whether the minified file carries its map inline, and that map (None when it is bad:
        ``js_invalid_source``)."""
        view = _inline_map(self.org_id, minified)
        if view is None:
            return False, None
        if isinstance(view, str):
            self.error("js_invalid_source", url=map_url, reason=view)
            return True, None
        return True, _Resolved(view, map_url, how, base, _minified(self.org_id, minified))

    def _find(self, abs_path: str) -> _Resolved | None:
        debug_id = self.debug_ids.get(abs_path)
        if debug_id:
            pk = debug_id_pk(self.project_id, debug_id)
            found = _lookup(pk, "source_map")
            map_url = f"debug-id://{debug_id}/{abs_path}"
            if found is not None:  # the file's own map, even a bad one, is the answer
                resolved = self._usable(found, map_url, "debug-id", abs_path)
                if resolved is not None:
                    resolved.minified = _minified(self.org_id, _lookup(pk, "minified_source"))
                return resolved
            carried, inline = self._inline(_lookup(pk, "minified_source"), map_url, "debug-id", abs_path)
            if carried:  # else no map names the file: perhaps one by release and URL
                return inline
        if self.release:
            pk = url_pk(self.project_id, self.release, self.dist)
            for candidate in url_candidates(abs_path):
                minified = _lookup(pk, f"URL#{candidate}")
                if minified is None:
                    continue
                if minified.file_type == "source_map":
                    return self._usable(minified, candidate, "release", candidate)
                if minified.sourcemap is None or minified.sourcemap.startswith("data:"):
                    carried, inline = self._inline(minified, candidate, "release", candidate)
                    if carried:
                        return inline
                reference = minified.sourcemap or candidate.rsplit("/", 1)[-1] + ".map"
                map_url = _join(candidate, reference)
                found_map = _lookup(pk, f"URL#{map_url}")
                if found_map is not None:  # its map, even a bad one, is the answer
                    resolved = self._usable(found_map, map_url, "release", map_url)
                    if resolved is not None:
                        resolved.minified = _minified(self.org_id, minified)
                    return resolved
                break
        if debug_id or self.release:  # nothing else could have named a map for it
            self.error("js_no_source", url=abs_path, **({"debug_id": debug_id} if debug_id else {}))
        return None


def _join(base: str, reference: str) -> str:
    """A map reference resolved against its file's URL; ``~/dist/a.js`` + ``a.js.map`` →
    ``~/dist/a.js.map`` (urljoin does not know ``~``)."""
    if not base.startswith("~"):
        return urljoin(base, reference)
    if reference.startswith("~/") or "://" in reference:
        return reference
    return "~" + urljoin(base[1:], reference)


def _context(view: SourceMapView, src_id: int, line: int) -> dict[str, Any]:
    source = view.get_source_contents(src_id)
    if source is None:
        return {}
    lines = [text[:MAX_LINE_LENGTH] for text in source.split("\n")]
    if not 0 <= line < len(lines):
        return {}
    return {
        "pre_context": lines[max(0, line - CONTEXT_LINES) : line],
        "context_line": lines[line],
        "post_context": lines[line + 1 : line + 1 + CONTEXT_LINES],
    }


def _is_url(path: str) -> bool:
    """A file a map can be uploaded for: a URL (``https://``, ``file://``, ``app://``) or an
    absolute path, not a runtime's own (``node:internal/…``, ``<anonymous>``, ``native``)."""
    return "://" in path or path.startswith(("/", "~/")) or _WINDOWS_PATH.match(path) is not None


def _frame(context: _EventContext, frame: dict[str, Any]) -> dict[str, Any] | None:
    """The frame resolved through its map, or None when it stays as it is."""
    abs_path = frame.get("abs_path") or frame.get("filename")
    lineno, colno = frame.get("lineno"), frame.get("colno")
    if not isinstance(abs_path, str) or not _is_url(abs_path) or not isinstance(lineno, int) or lineno < 1:
        return None
    if frame.get("platform") not in (None, *JS_PLATFORMS):
        return None
    if not isinstance(colno, int) or colno < 1:
        context.error("js_no_column", url=abs_path)
        return None
    resolved = context.resolve(abs_path)
    if resolved is None:
        return None
    function = frame.get("function") if isinstance(frame.get("function"), str) else None
    token = resolved.view.lookup(lineno - 1, colno - 1, function, resolved.minified)
    if token is None or not token.src:
        context.error("js_invalid_sourcemap_location", column=colno, row=lineno, source=abs_path)
        return None
    result = dict(frame)
    mapped_path = _join(resolved.base, token.src)
    module = frame.get("module") if isinstance(frame.get("module"), str) else None
    result.update(
        abs_path=mapped_path,
        module=frame_module(module, mapped_path, token.src),
        filename=token.src.split("://", 1)[-1].lstrip("~/.") or token.src,
        lineno=token.src_line + 1,
        colno=token.src_col + 1,
        function=token.function_name or token.name or function,
        data={
            **(frame.get("data") or {}),
            "sourcemap": resolved.map_url,
            "resolved_with": resolved.how,
            "symbolicated": True,
        },
    )
    if "node_modules/" in token.src:
        result["in_app"] = False
    for key in ("pre_context", "context_line", "post_context"):
        result.pop(key, None)
    context_lines = _context(resolved.view, token.src_id, token.src_line)
    if not context_lines:
        context.error("js_missing_sources_content", source=result["abs_path"], sourcemap=resolved.map_url)
    result.update(context_lines)
    return result


def _is_javascript(payload: dict[str, Any]) -> bool:
    return payload.get("platform") in JS_PLATFORMS


def _resolve(
    payload: dict[str, Any], project_id: int, org_id: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The event with its JavaScript exception frames resolved (a new dict when anything changed)
    and the problems found; the event as it came when anything about it cannot be read."""
    if not _is_javascript(payload):
        return payload, []
    try:
        return _symbolicate(payload, project_id, org_id)
    except Exception:
        logger.exception("symbolication failed; the event keeps its minified frames")
        return payload, []


def symbolicate(payload: dict[str, Any], project_id: int, org_id: int) -> dict[str, Any]:
    """The event with its frames resolved and the problems found appended to its ``errors``."""
    result, errors = _resolve(payload, project_id, org_id)
    return {**result, "errors": [*(payload.get("errors") or []), *errors]} if errors else result


def symbolicated_event(
    payload: dict[str, Any], project_id: int, org_id: int, received: datetime, pii_configs: PiiConfigs = ()
) -> Event:
    """The event with its frames resolved, then normalized (and scrubbed) as Sentry stores it.
    Relay's normalization keeps only an error's type, name and value, so the problems symbolication
    found join ``errors`` after it with their details (url, source map), as Sentry's processing adds
    them after its normalization."""
    result, errors = _resolve(payload, project_id, org_id)
    event = normalize_event(result, received, project_id, pii_configs=pii_configs)
    if errors:
        event.data["errors"] = [*(event.data.get("errors") or []), *errors]
    return event


def _symbolicate(
    payload: dict[str, Any], project_id: int, org_id: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    values = (
        (payload.get("exception") or {}).get("values") if isinstance(payload.get("exception"), dict) else None
    )
    if not isinstance(values, list):
        return payload, []
    context = _EventContext(payload, project_id, org_id)
    new_values = []
    changed = False
    for value in values:
        frames = ((value or {}).get("stacktrace") or {}).get("frames") if isinstance(value, dict) else None
        if not isinstance(frames, list):
            new_values.append(value)
            continue
        try:
            resolved = [_frame(context, f) if isinstance(f, dict) else None for f in frames]
        except Exception:  # a fault reading a map must not fail the event: it stays minified
            logger.exception("source map lookup failed")
            context.error("js_generic_fetch_error", url=str(frames[-1].get("abs_path") if frames else ""))
            resolved = [None] * len(frames)
        if any(r is not None for r in resolved):
            changed = True
            value = dict(value)
            value["raw_stacktrace"] = copy.deepcopy(value["stacktrace"])
            value["stacktrace"] = {
                **value["stacktrace"],
                "frames": [r if r is not None else f for r, f in zip(resolved, frames, strict=True)],
            }
        new_values.append(value)
    if not changed:
        return payload, context.errors
    return {**payload, "exception": {**payload["exception"], "values": new_values}}, context.errors
