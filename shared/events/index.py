"""The event store's index in the issues table: which events a group has, by time, and where an
event of an organization is, by id. Nothing is written per event: per processed batch, one
``GroupEvents`` item per group (and grouping hash) and one ``EventIds`` item per id bucket of each
organization, all in one BatchWriteItem.

``GroupEvents`` rows (newest first): id 16 B, time (ms) 8 B, byte offset 4 B, length 4 B,
environment 1 B (an index into the item's ``environments``; 255: none) — 33 bytes an event.
``EventIds`` rows, in the order of the ids (``ids``, 16 bytes each, what a lookup's filter tests):
project 8 B, group 8 B, time (ms) 8 B, the newest time of its ``GroupEvents`` item 8 B, 4 bytes
naming its grouping hash (``hash_tag``), offset 4 B, length 4 B — 60 bytes an event with its id —
and in ``release_rows`` one byte naming its release among the item's ``releases`` (so a read by id
fetches the release with the group, before the event's object is read).

An event kept twice (a delivery that died after storing it, then delivered again) has two rows:
every reader keeps the first it meets of an id."""

from __future__ import annotations

import hashlib
import heapq
import struct
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.config import settings
from shared.events.objects import Location, batch_name
from shared.storage.group_state import EventIds, GroupEvents
from shared.storage.issues import IssueItem, group_pk, sortable_time

# An organization's id buckets: a storm's index writes spread over this many partition keys (at
# 50,000 events/s on one organization about 400 WCU/s each), and a lookup reads one of them.
EVENT_ID_BUCKETS = 8
_REFS_ROW = struct.Struct(">16sqIIB")
_IDS_ROW = struct.Struct(">qqqq4sII")
NO_ENVIRONMENT = 255
# Environments named in one GroupEvents item (more are rare; the rest list as none).
MAX_ENVIRONMENTS = 254
# Releases named in one EventIds item; an event of another one has ``UNLISTED`` (read from its event).
MAX_RELEASES = 253
UNLISTED = 254
NO_RELEASE = 255
# Pages of 1 MB a lookup by id reads at most (each about 17,000 events of the bucket, so about
# 2.7 million of the organization's newest events in all): an id older than that is not found.
LOOKUP_PAGES = 20
EVENTS_PREFIX = "EVENTS#"
EVENTS_END = "EVENTS#~"


@dataclass(frozen=True)
class Kept:
    """An event to index: what was counted where, and where its document is."""

    event_id: str
    org_id: int
    project_id: int
    group_id: int
    hash: str
    timestamp: datetime
    environment: str | None
    location: Location
    release: str | None = None


@dataclass(frozen=True)
class Found:
    """An event of a group as the index lists it: ``sk`` and ``index`` name its row (a position)."""

    event_id: str
    group_id: int
    timestamp: datetime
    environment: str | None
    location: Location
    sk: str
    index: int


@dataclass(frozen=True)
class Located:
    """An event found by id: its project and group, and its ``GroupEvents`` item's sort key;
    its release when the index names it (``release_known``)."""

    event_id: str
    project_id: int
    group_id: int
    timestamp: datetime
    location: Location
    refs_sk: str
    release: str | None = None
    release_known: bool = False


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def hash_tag(hash_value: str) -> str:
    """4 bytes (8 hex digits) naming a grouping hash in keys and rows."""
    return hashlib.blake2b(hash_value.encode(), digest_size=4).hexdigest()


def bucket_of(event_id: str) -> int:
    return int(event_id[0], 16) * EVENT_ID_BUCKETS // 16


def index_items(kept: Sequence[Kept], received: datetime) -> list[IssueItem]:
    """The index items of one batch's kept events (all in one object)."""
    if not kept:
        return []
    object_key = kept[0].location.object_key
    batch = batch_name(object_key)
    expires = received + timedelta(days=settings().event_retention_days)
    by_group: dict[tuple[int, str], dict[str, Kept]] = defaultdict(dict)
    for event in kept:
        by_group[(event.group_id, event.hash)].setdefault(event.event_id, event)
    items: list[IssueItem] = []
    newest_of: dict[tuple[int, str], datetime] = {}
    for (group_id, hash_value), found in by_group.items():
        events = sorted(found.values(), key=lambda e: (e.timestamp, e.event_id), reverse=True)
        newest_of[(group_id, hash_value)] = events[0].timestamp
        environments = sorted({e.environment for e in events if e.environment})[:MAX_ENVIRONMENTS]
        rows = b"".join(
            _REFS_ROW.pack(
                bytes.fromhex(e.event_id),
                _ms(e.timestamp),
                e.location.offset,
                e.location.length,
                environments.index(e.environment) if e.environment in environments else NO_ENVIRONMENT,
            )
            for e in events
        )
        # to the millisecond, as the ids' rows hold it (they name the item by it)
        newest = sortable_time(_time(_ms(events[0].timestamp)))
        key = GroupEvents.key(group_id, newest, batch, hash_tag(hash_value))
        items.append(
            GroupEvents(
                *key,
                object_key=object_key,
                hash=hash_value,
                rows=rows,
                environments=environments or None,
                expires_at=expires,
            )
        )
    by_bucket: dict[tuple[int, int], dict[str, Kept]] = defaultdict(dict)
    for event in kept:
        by_bucket[(event.org_id, bucket_of(event.event_id))].setdefault(event.event_id, event)
    for (org_id, bucket), found in by_bucket.items():
        ordered = sorted(found.values(), key=lambda e: e.event_id)
        rows = b"".join(
            _IDS_ROW.pack(
                e.project_id,
                e.group_id,
                _ms(e.timestamp),
                _ms(newest_of[(e.group_id, e.hash)]),
                bytes.fromhex(hash_tag(e.hash)),
                e.location.offset,
                e.location.length,
            )
            for e in ordered
        )
        releases = sorted({e.release for e in ordered if e.release})[:MAX_RELEASES]
        items.append(
            EventIds(
                EventIds.partition(org_id, bucket),
                f"{sortable_time(received)}#{batch}",
                object_key=object_key,
                ids={bytes.fromhex(event_id) for event_id in found},
                rows=rows,
                releases=releases or None,
                release_rows=bytes(_release_number(e.release, releases) for e in ordered),
                expires_at=expires,
            )
        )
    return items


def _release_number(release: str | None, releases: list[str]) -> int:
    if not release:
        return NO_RELEASE
    return releases.index(release) if release in releases else UNLISTED


def _release_of(item: EventIds, index: int) -> tuple[str | None, bool]:
    """The release of the item's ``index``-th event and whether the index knows it."""
    numbers = bytes(item.release_rows) if item.release_rows is not None else b""
    if index >= len(numbers) or numbers[index] == UNLISTED:
        return None, False
    releases = list(item.releases or [])
    return (releases[numbers[index]] if numbers[index] < len(releases) else None), True


def write_index(items: Sequence[IssueItem]) -> None:
    """Put the items (one BatchWriteItem per 25; puts are idempotent: a batch kept again writes the
    same keys)."""
    with IssueItem.batch_write() as batch:
        for item in items:
            batch.save(item)


def _refs_rows(item: GroupEvents) -> list[Found]:
    raw = bytes(item.rows)
    environments = list(item.environments or [])
    group_id = int(item.pk.removeprefix("GROUP#"))
    found = []
    for index in range(len(raw) // _REFS_ROW.size):
        event_id, ms, offset, length, env = _REFS_ROW.unpack_from(raw, index * _REFS_ROW.size)
        found.append(
            Found(
                event_id.hex(),
                group_id,
                _time(ms),
                environments[env] if env < len(environments) else None,
                Location(str(item.object_key), offset, length),
                str(item.sk),
                index,
            )
        )
    return found


@dataclass(frozen=True)
class Window:
    """What a listing keeps: events from ``start`` to ``end`` in one of ``environments``."""

    start: datetime | None = None
    end: datetime | None = None
    environments: frozenset[str] = frozenset()

    def admits(self, event: Found) -> bool:
        if self.start is not None and event.timestamp < self.start:
            return False
        if self.end is not None and event.timestamp > self.end:
            return False
        return not self.environments or event.environment in self.environments


def walk_group(
    group_id: int,
    position: tuple[str, int] | None = None,
    older: bool = True,
    window: Window | None = None,
    page_size: int = 50,
) -> Iterator[Found]:
    """The group's events from ``position`` (excluded; None: from the newest, or with ``older``
    False from the oldest), toward the older ones or the newer ones: each id once, Queries of
    ``page_size`` items (an item holds one event or more)."""
    window = window or Window()
    low = EVENTS_PREFIX + (sortable_time(window.start) if window.start else "")
    high = EVENTS_END
    if position is not None:
        if older:
            high = position[0]
        else:
            low = position[0]
    items = GroupEvents.query(
        group_pk(group_id),
        GroupEvents.sk.between(low, high),
        scan_index_forward=not older,
        page_size=page_size,
    )
    seen: set[str] = set()
    for item in items:
        rows = _refs_rows(item)
        if position is not None and item.sk == position[0]:
            rows = [r for r in rows if (r.index > position[1] if older else r.index < position[1])]
        for row in rows if older else reversed(rows):
            if row.event_id in seen or not window.admits(row):
                continue
            seen.add(row.event_id)
            yield row


def newest_of_hash(group_id: int, hash_value: str) -> Found | None:
    """The newest event kept of one grouping hash of the group."""
    items = GroupEvents.query(
        group_pk(group_id),
        GroupEvents.sk.between(EVENTS_PREFIX, EVENTS_END),
        scan_index_forward=False,
        filter_condition=GroupEvents.hash == hash_value,
        page_size=50,
    )
    for item in items:
        return _refs_rows(item)[0]
    return None


def _id_rows(item: EventIds) -> list[tuple[bytes, tuple[Any, ...]]]:
    """Each id of an ``EventIds`` item with its row: the rows are in the order of the ids."""
    raw = bytes(item.rows)
    rows = [_IDS_ROW.unpack_from(raw, offset) for offset in range(0, len(raw), _IDS_ROW.size)]
    return list(zip(sorted(item.ids), rows, strict=True))


def locate(org_id: int, event_id: str) -> Located | None:
    """Where event ``event_id`` of the organization is: its bucket's items, newest first, until one
    holds the id (the filter leaves the others on DynamoDB's side), for at most ``LOOKUP_PAGES``
    pages of 1 MB: a lookup of an id that is nowhere costs a bounded read."""
    wanted = bytes.fromhex(event_id)
    start = None
    for _ in range(LOOKUP_PAGES):
        page = EventIds._get_connection().query(
            EventIds.partition(org_id, bucket_of(event_id)),
            filter_condition=EventIds.ids.contains(wanted),
            scan_index_forward=False,
            exclusive_start_key=start,
        )
        for raw in page.get("Items", []):
            found = _located(EventIds.from_raw_data(raw), wanted)
            if found is not None:
                return found
        start = page.get("LastEvaluatedKey")
        if not start:
            return None
    return None


def _located(item: EventIds, wanted: bytes) -> Located | None:
    for index, (event, row) in enumerate(_id_rows(item)):
        if event == wanted:
            return _located_row(item, index, event, row)
    return None


def _located_row(item: EventIds, index: int, event: bytes, row: tuple[Any, ...]) -> Located:
    project_id, group_id, ms, newest_ms, tag, start, length = row
    batch = batch_name(str(item.object_key))
    refs_sk = GroupEvents.key(group_id, sortable_time(_time(newest_ms)), batch, tag.hex())[1]
    location = Location(str(item.object_key), start, length)
    release, known = _release_of(item, index)
    return Located(event.hex(), project_id, group_id, _time(ms), location, refs_sk, release, known)


def walk_project(
    org_id: int, project_id: int, position: tuple[str, int, int] | None, page_size: int
) -> Iterator[tuple[tuple[str, int, int], Located]]:
    """The project's events, newest batch first (within a batch by bucket, then as kept), each with
    its position: the organization's buckets read side by side, merged."""

    def bucket(number: int) -> Iterator[tuple[tuple[str, int, int], Located]]:
        high = position[0] if position is not None else "~"
        items = EventIds.query(
            EventIds.partition(org_id, number),
            EventIds.sk <= high,
            scan_index_forward=False,
            page_size=page_size,
        )
        for item in items:
            for index, (event, row) in enumerate(_id_rows(item)):
                place = (str(item.sk), number, index)
                if row[0] != project_id or (position is not None and _not_after(place, position)):
                    continue
                yield place, _located_row(item, index, event, row)

    def order(entry: tuple[tuple[str, int, int], Located]) -> tuple[str, int, int]:
        sk, number, index = entry[0]
        return sk, -number, -index

    seen: set[str] = set()
    merged = heapq.merge(*(bucket(n) for n in range(EVENT_ID_BUCKETS)), key=order, reverse=True)
    for place, located in merged:
        if located.event_id not in seen:
            seen.add(located.event_id)
            yield place, located


def _not_after(place: tuple[str, int, int], position: tuple[str, int, int]) -> bool:
    """Whether ``place`` comes at or before ``position`` in the project's order (newest first)."""
    sk, number, index = place
    if sk != position[0]:
        return sk > position[0]
    return (number, index) <= (position[1], position[2])
