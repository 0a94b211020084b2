"""Reading kept events for the event endpoints: an issue's events by time, a project's, one event
by id (within an issue, a project or an organization), each checked against what the caller may
see. An event is readable while its group is: a group deleted, discarded or merged away hides its
events at once (its status), its index items go with its partition, the objects by lifecycle.

Requests: one event by id is the bucket's Query, then one BatchGetItem (its group, its release,
which the index names, and when asked the project's id pointer) beside one ranged GET; a page of
an issue's events one Query (``page_size`` items of at least one event each) plus one ranged GET
per object it reads; the previous and next events within the issue one Query each."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain, islice
from typing import Any

from shared.errors import BadRequest, NotFound
from shared.events.index import Found, Located, Window, locate, newest_of_hash, walk_group, walk_project
from shared.events.objects import Location, read_documents
from shared.events.serializer import EventBody, serialize_full, serialize_simple
from shared.issues.enums import GONE_STATUSES
from shared.storage.accounts import Pointer, Project
from shared.storage.base import batch_get_items
from shared.storage.group_state import GroupEvents
from shared.storage.issues import Group, group_pk
from shared.storage.releases import Release

EVENT_NOT_FOUND = "Event not found"
INVALID_CURSOR = "Invalid cursor parameter."
_EVENT_ID = re.compile(r"^[0-9a-fA-F]{32}$|^[0-9a-fA-F-]{36}$")
# A row index past every row of an item: a walk from it starts with the whole item.
ALL_ROWS = 1_000_000
_PERIOD = re.compile(r"^(\d+)([smhdw]?)$")
_PERIOD_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks", "": "seconds"}


def event_id_of(value: str) -> str:
    """An event id from a URL (32 hex digits, or a UUID with dashes); 404 otherwise, as Sentry's
    routes match nothing else."""
    if not _EVENT_ID.match(value):
        raise NotFound(EVENT_NOT_FOUND)
    return value.replace("-", "").lower()


def window_of(start: str | None, end: str | None, period: str | None, environments: list[str]) -> Window:
    """Sentry's ``start``/``end`` or ``statsPeriod`` (none: all kept events) and ``environment``."""
    if period and (start or end):
        raise BadRequest("You cannot use statsPeriod with start and end")
    if bool(start) != bool(end):
        raise BadRequest("start and end are both required")
    now = datetime.now(UTC)
    low = high = None
    if period:
        match = _PERIOD.match(period)
        if match is None:
            raise BadRequest("Invalid statsPeriod")
        low = now - timedelta(**{_PERIOD_UNITS[match.group(2)]: int(match.group(1))})
    elif start and end:
        low, high = _date(start), _date(end)
        if low > high:
            raise BadRequest("start must be before end")
    return Window(low, high, frozenset(e for e in environments if e))


def _date(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{value} is not a valid ISO8601 date query") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def encode_cursor(payload: Any) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str | None, size: int) -> tuple[bool, list[Any]] | None:
    """A position: (walking to older events, [sort key, numbers...]); 400 for anything else."""
    if not cursor:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        ((direction, position),) = payload.items()
    except (binascii.Error, ValueError, TypeError, AttributeError):
        raise BadRequest(INVALID_CURSOR) from None
    valid = (
        direction in ("after", "before")
        and isinstance(position, list)
        and len(position) == size
        and isinstance(position[0], str)
        and len(position[0]) < 200
        and all(isinstance(n, int) and 0 <= n < 1_000_000 for n in position[1:])
    )
    if not valid:
        raise BadRequest(INVALID_CURSOR)
    return direction == "after", position


@dataclass(frozen=True)
class EventPage:
    """One page of events, serialized, and the cursors either way (None: nothing there)."""

    items: list[Any]
    next_cursor: str | None
    prev_cursor: str | None


def _documents(found: list[Found]) -> dict[str, dict[str, Any]]:
    documents = read_documents(f.location for f in found)
    return {f.event_id: documents[f.location] for f in found if f.location in documents}


def _page_releases(org_id: int, documents: Iterable[dict[str, Any]]) -> dict[str, Release]:
    """The release items a page's events name, by version (one BatchGetItem)."""
    versions = sorted({d["release"] for d in documents if isinstance(d.get("release"), str) and d["release"]})
    keys = [key for version in versions for key in _release_key(org_id, version)]
    return {item.version: item for item in batch_get_items(keys).values()}


def _serialized(
    document: dict[str, Any], group_id: int, project_id: int, full: bool, releases: dict[str, Release]
) -> Any:
    if not full:
        return serialize_simple(document, group_id)
    return serialize_full(
        document, group_id, _linked(releases.get(document.get("release") or ""), project_id)
    )


def group_events(
    group: Group,
    cursor: str | None,
    per_page: int,
    window: Window,
    full: bool,
    only: set[str] | None = None,
) -> EventPage:
    """A page of the group's events, newest first (``only``: those of these ids, what a search found)."""
    position = decode_cursor(cursor, 2)
    older = position is None or position[0]
    start = (position[1][0], position[1][1]) if position else None
    walked = walk_group(group.id, start, older, window, per_page + 1)
    rows = list(islice((r for r in walked if only is None or r.event_id in only), per_page + 1))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if not older:
        rows.reverse()
    documents = _documents(rows)
    releases = _page_releases(group.org_id, documents.values()) if full else {}
    items = [
        _serialized(documents[r.event_id], group.id, group.project_id, full, releases)
        for r in rows
        if r.event_id in documents
    ]
    first, last = (rows[0], rows[-1]) if rows else (None, None)
    has_older = more if older else position is not None
    has_newer = (position is not None) if older else more
    return EventPage(
        items,
        encode_cursor({"after": [last.sk, last.index]}) if has_older and last else None,
        encode_cursor({"before": [first.sk, first.index]}) if has_newer and first else None,
    )


def _one(location: Location) -> dict[str, Any]:
    document = read_documents([location]).get(location)
    if document is None:
        raise NotFound(EVENT_NOT_FOUND)
    return document


def _neighbours(group_id: int, sk: str, event_id: str) -> tuple[str | None, str | None]:
    """The previous (older) and next (newer) event ids within the group: one Query from the
    event's own ``GroupEvents`` item (``sk``) toward older events (its item and the next), and one
    toward newer events only when the event is its item's newest."""
    older = newer = None
    found = False
    for row in walk_group(group_id, (sk + "\x00", 0), older=True, page_size=2):
        if found:
            older = row.event_id
            break
        if row.sk != sk:
            break
        if row.event_id == event_id:
            found = True
        else:
            newer = row.event_id
    if newer is None:
        passed = False
        for row in walk_group(group_id, (sk, ALL_ROWS), older=False, page_size=2):
            if passed or row.sk != sk:
                newer = row.event_id
                break
            passed = row.event_id == event_id
    return older, newer


def detailed(found: EventRead, neighbours: tuple[str | None, str | None] | None) -> EventBody:
    """The event's details with the previous and next event ids of its issue."""
    body = serialize_full(found.document, found.group.id, found.release)
    body["previousEventID"], body["nextEventID"] = neighbours or (None, None)
    return body


@dataclass(frozen=True)
class EventRead:
    """An event read by id: its group, its ``GroupEvents`` item's sort key, its kept document, its
    release item (when the event names one linked to its project) and, when asked for, its
    project's id pointer (which names the project's slug)."""

    group: Group
    refs_sk: str
    document: dict[str, Any]
    release: Release | None = None
    pointer: Pointer | None = None
    neighbours: tuple[str | None, str | None] | None = None  # (previous, next) when asked for


def _release_key(org_id: int, version: str | None) -> list[tuple[type[Any], tuple[str, str]]]:
    return [(Release, Release.key(org_id, version))] if version else []


def _linked(release: Any, project_id: int) -> Release | None:
    """The release when it is one of the project's (Sentry reads it by project and version)."""
    return release if isinstance(release, Release) and release.links_project(project_id) else None


def event_by_id(
    org_id: int,
    event_id: str,
    allowed: Callable[[Group], bool] | None = None,
    known: Group | None = None,
    with_pointer: bool = False,
    with_neighbours: bool = False,
) -> EventRead:
    """An event of the organization by id (else 404). The group is ``known`` (the event must be
    one of its events), or read and admitted by ``allowed``. The bucket's Query, then one
    BatchGetItem of what the index names (the group, the release, with ``with_pointer`` the
    project's id pointer) beside the object's ranged GET; a release the index does not name (an
    event kept before it named them) is read once the document is. ``with_neighbours``: the
    previous and next event ids within the issue are looked up meanwhile."""
    located = locate(org_id, event_id)
    if located is None or (known is not None and not _listed_in(known, located)):
        raise NotFound(EVENT_NOT_FOUND)
    keys = [] if known is not None else [(Group, Group.key(located.group_id))]
    keys += _release_key(org_id, located.release)
    if with_pointer:
        keys.append((Pointer, Project.id_key(located.project_id)))
    group_id = known.id if known is not None else located.group_id
    with ThreadPoolExecutor(3) as pool:
        items_read = pool.submit(batch_get_items, keys)
        document_read = pool.submit(_one, located.location)
        beside = (
            pool.submit(_neighbours, group_id, located.refs_sk, located.event_id) if with_neighbours else None
        )
        items = items_read.result()
        document = document_read.result()
        neighbours = beside.result() if beside is not None else None
    group = known or items.get(Group.key(located.group_id))
    if group is None or group.status in GONE_STATUSES or not (allowed or (lambda _: True))(group):
        raise NotFound(EVENT_NOT_FOUND)
    release = items.get(Release.key(org_id, located.release)) if located.release else None
    if not located.release_known and document.get("release"):
        release = next(iter(batch_get_items(_release_key(org_id, document["release"])).values()), None)
    pointer = items.get(Project.id_key(located.project_id))
    return EventRead(
        group, located.refs_sk, document, _linked(release, group.project_id), pointer, neighbours
    )


def _listed_in(group: Group, located: Located) -> bool:
    """Whether the event is one of the group's: counted on it, or on a group merged into it (whose
    ``GroupEvents`` items the merge copied under the same keys: one GetItem)."""
    if located.group_id == group.id:
        return True
    return GroupEvents.count(group_pk(group.id), GroupEvents.sk == located.refs_sk) > 0


def event_details(
    org_id: int,
    event_id: str,
    allowed: Callable[[Group], bool] | None = None,
    known: Group | None = None,
) -> EventBody:
    """Sentry's project and issue event details: the event with its neighbours in its issue."""
    found = event_by_id(org_id, event_id, allowed, known, with_neighbours=True)
    return detailed(found, found.neighbours)


def group_event(group: Group, which: str, window: Window) -> EventBody:
    """The group's ``latest``, ``oldest`` or ``recommended`` event (Sentry recommends the newest
    event with the most context; every kept event has its full context, so: the newest), with its
    one neighbour, from one Query."""
    older = which != "oldest"
    first, beside = islice(chain(walk_group(group.id, None, older, window, page_size=2), [None, None]), 2)
    if first is None:
        raise NotFound(EVENT_NOT_FOUND)
    other = beside.event_id if beside is not None else None
    known = (other, None) if older else (None, other)
    document = _one(first.location)
    release = batch_get_items(_release_key(group.org_id, document.get("release")))
    read = EventRead(group, first.sk, document, _linked(next(iter(release.values()), None), group.project_id))
    return detailed(read, known)


def latest_of_hash(group: Group, hash_value: str) -> EventBody | None:
    """The newest kept event of one of the group's hashes, serialized (None: none kept)."""
    row = newest_of_hash(group.id, hash_value)
    if row is None:
        return None
    document = read_documents([row.location]).get(row.location)
    return serialize_full(document, group.id) if document else None


def project_events(
    org_id: int,
    project_id: int,
    cursor: str | None,
    per_page: int,
    full: bool,
    only: set[str] | None = None,
) -> EventPage:
    """A page of the project's events, newest batch first, those of groups still readable
    (``only``: those of these ids, what a search found)."""
    position = decode_cursor(cursor, 3)
    if position is not None and not position[0]:
        raise BadRequest(INVALID_CURSOR)
    start = tuple(position[1]) if position else None
    walked = walk_project(org_id, project_id, start, per_page + 1)  # type: ignore[arg-type]
    found = list(islice((f for f in walked if only is None or f[1].event_id in only), per_page + 1))
    more = len(found) > per_page
    found = found[:per_page]
    keys = [(Group, Group.key(f.group_id)) for _, f in found]
    if full:  # the releases the index names, read with the groups
        keys += [key for _, f in found for key in _release_key(org_id, f.release)]
    read = batch_get_items(keys)
    groups = {item.id: item for item in read.values() if isinstance(item, Group)}
    live = [
        (place, f)
        for place, f in found
        if f.group_id in groups and groups[f.group_id].status not in GONE_STATUSES
    ]
    documents = read_documents(f.location for _, f in live)
    releases = {item.version: item for item in read.values() if isinstance(item, Release)}
    if full:
        unnamed = [documents[f.location] for _, f in live if not f.release_known and f.location in documents]
        releases |= _page_releases(org_id, unnamed)
    items = [
        _serialized(documents[f.location], f.group_id, project_id, full, releases)
        for _, f in live
        if f.location in documents
    ]
    last = found[-1][0] if found else None
    return EventPage(items, encode_cursor({"after": list(last)}) if more and last else None, None)
