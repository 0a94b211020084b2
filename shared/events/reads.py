"""Reading kept events for the event endpoints: an issue's events by time, a project's, one event
by id (within an issue, a project or an organization), each checked against what the caller may
see. An event is readable while its group is: a group deleted, discarded or merged away hides its
events at once (its status), its index items go with its partition, the objects by lifecycle.

Requests: one event by id is the bucket's Query, its group's GetItem and one ranged GET; a page of
an issue's events one Query (``page_size`` items of at least one event each) plus one ranged GET
per object it reads; the previous and next events within the issue one Query each."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
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
from shared.storage.base import batch_get
from shared.storage.group_state import GroupEvents
from shared.storage.issues import Group, group_pk

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


def _encode(payload: Any) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(cursor: str | None, size: int) -> tuple[bool, list[Any]] | None:
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


def group_events(
    group: Group,
    cursor: str | None,
    per_page: int,
    window: Window,
    full: bool,
    only: set[str] | None = None,
) -> EventPage:
    """A page of the group's events, newest first (``only``: those of these ids, what a search found)."""
    position = _decode(cursor, 2)
    older = position is None or position[0]
    start = (position[1][0], position[1][1]) if position else None
    walked = walk_group(group.id, start, older, window, per_page + 1)
    rows = list(islice((r for r in walked if only is None or r.event_id in only), per_page + 1))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if not older:
        rows.reverse()
    documents = _documents(rows)
    serialize = serialize_full if full else serialize_simple
    items = [serialize(documents[r.event_id], group.id) for r in rows if r.event_id in documents]
    first, last = (rows[0], rows[-1]) if rows else (None, None)
    has_older = more if older else position is not None
    has_newer = (position is not None) if older else more
    return EventPage(
        items,
        _encode({"after": [last.sk, last.index]}) if has_older and last else None,
        _encode({"before": [first.sk, first.index]}) if has_newer and first else None,
    )


def _visible_group(group_id: int, allowed: Callable[[Group], bool]) -> Group:
    [group] = batch_get(Group, [Group.key(group_id)]) or [None]
    if group is None or group.status in GONE_STATUSES or not allowed(group):
        raise NotFound(EVENT_NOT_FOUND)
    return group


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


def detailed(
    document: dict[str, Any], group_id: int, sk: str, known: tuple[str | None, str | None] | None = None
) -> EventBody:
    """The event's details with the previous and next event ids of its issue (``known``: as found)."""
    older, newer = known if known is not None else _neighbours(group_id, sk, document["event_id"])
    body = serialize_full(document, group_id)
    body["previousEventID"], body["nextEventID"] = older, newer
    return body


def event_by_id(
    org_id: int,
    event_id: str,
    allowed: Callable[[Group], bool] | None = None,
    known: Group | None = None,
) -> tuple[Group, str, dict[str, Any]]:
    """An event of the organization by id (else 404): its group, its ``GroupEvents`` item's sort
    key and its kept document. The group is ``known`` (the event must be one of its events), or read
    and admitted by ``allowed``: the bucket's Query, then the group's GetItem and the object's
    ranged GET side by side."""
    located = locate(org_id, event_id)
    if located is None or (known is not None and not _listed_in(known, located)):
        raise NotFound(EVENT_NOT_FOUND)
    if known is not None:
        return known, located.refs_sk, _one(located.location)
    with ThreadPoolExecutor(2) as pool:
        group_read = pool.submit(_visible_group, located.group_id, allowed or (lambda _: True))
        document_read = pool.submit(_one, located.location)
        group = group_read.result()
        document = document_read.result()
    return group, located.refs_sk, document


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
    group, refs_sk, document = event_by_id(org_id, event_id, allowed, known)
    return detailed(document, group.id, refs_sk)


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
    return detailed(_one(first.location), group.id, first.sk, known)


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
    position = _decode(cursor, 3)
    if position is not None and not position[0]:
        raise BadRequest(INVALID_CURSOR)
    start = tuple(position[1]) if position else None
    walked = walk_project(org_id, project_id, start, per_page + 1)  # type: ignore[arg-type]
    found = list(islice((f for f in walked if only is None or f[1].event_id in only), per_page + 1))
    more = len(found) > per_page
    found = found[:per_page]
    groups = {g.id: g for g in batch_get(Group, list({Group.key(f.group_id) for _, f in found}))}
    live = [
        (place, f)
        for place, f in found
        if f.group_id in groups and groups[f.group_id].status not in GONE_STATUSES
    ]
    documents = read_documents(f.location for _, f in live)
    serialize = serialize_full if full else serialize_simple
    items = [serialize(documents[f.location], f.group_id) for _, f in live if f.location in documents]
    last = found[-1][0] if found else None
    return EventPage(items, _encode({"after": list(last)}) if more and last else None, None)
