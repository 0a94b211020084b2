"""Reading the ``by_project_listing`` index: a project's groups of one status, by last seen.

The index carries the keys and the group fields a search filters on (``LISTING_FIELDS``: level,
first seen, first release, substatus), not the group: counting an event (which rewrites the group
item) does not rewrite the group's index entry on the project's one index partition key; an entry
moves only when the group's status or indexed last seen does (or its level changes). A search tests
those fields on the entries, so a selective filter reads index entries, not groups; the groups
themselves come from the table, one BatchGetItem per 100 entries, put back in the index's order. A
group deleted between the two reads is simply left out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.issues.row_keys import Key, index_entries
from shared.storage.base import BATCH_GET_LIMIT, batch_get, chunked
from shared.storage.issues import LISTING_FIELDS, ByProjectListing, Group, status_index_pk


@dataclass(frozen=True)
class StatusEntry:
    """One index entry: the partition it was read from (project and status), its sort key (last
    seen, then the id), the group's table key and the group's ``LISTING_FIELDS`` as the entry holds
    them (what a search tests before the group is read)."""

    partition: str
    position: str
    key: Key
    level: str | None = None
    first_seen: datetime | None = None
    first_release_version: str | None = None
    substatus: int | None = None

    @property
    def id(self) -> int:
        """The group's id, from its table key (``GROUP#<id>``)."""
        return int(self.key[0].removeprefix("GROUP#"))


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    """The entry's listing fields, read as the group's attributes read them."""
    fields = {}
    for name in LISTING_FIELDS:
        attribute = getattr(Group, name)
        raw = item.get(name)
        absent = raw is None or raw.get("NULL")
        fields[name] = None if absent else attribute.deserialize(attribute.get_value(raw))
    return fields


def status_entries(
    project_id: int, status: int, newest_first: bool = True, first: int | None = None
) -> Iterator[StatusEntry]:
    """The index entries of the project's groups of ``status``, read lazily page by page (the
    first page holds ``first`` entries when given, see ``index_entries``)."""
    partition = status_index_pk(project_id, status)
    entries = index_entries(
        ByProjectListing.Meta.index_name, "gsi1pk", partition, "gsi1sk", forward=not newest_first, first=first
    )
    for position, key, item in entries:
        yield StatusEntry(partition, position, key, **_fields(item))


def entry_groups(
    entries: Sequence[StatusEntry], consistent_read: bool = False
) -> list[tuple[StatusEntry, Group]]:
    """Each entry with its group, in the entries' order, read by one ``batch_get`` (100 keys per
    request, unprocessed keys retried); entries whose group is gone are left out."""
    found = {(g.pk, g.sk): g for g in batch_get(Group, [e.key for e in entries], consistent_read)}
    return [(e, found[e.key]) for e in entries if e.key in found]


def status_groups(
    project_id: int, status: int, newest_first: bool = True, consistent_read: bool = False
) -> Iterator[Group]:
    """Every group the project's ``status`` partition lists, in index order, 100 per read."""
    for entries in chunked(status_entries(project_id, status, newest_first), BATCH_GET_LIMIT):
        yield from (group for _, group in entry_groups(entries, consistent_read))
