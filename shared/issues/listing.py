"""Issue lists and the search that selects groups for a bulk update without ids.

The query language is the part of Sentry's search these flows need: ``is:`` statuses
(``unresolved``, ``resolved``, ``ignored``/``archived``/``muted``), ``is:for_review``,
``is:assigned``/``is:unassigned``, ``assigned:me``, ``bookmarks:me`` and free text matched against the
title and culprit. Anything else is refused with Sentry's 400 rather than silently ignored.

The order comes from the keys-only ``by_project_status`` index, one Query stream per (project,
status), newest last seen first, merged lazily; the groups behind the entries are read from the table
by one BatchGetItem per 100 entries (``status_index``), then the text filter applies to them, and
filters that need a child row (inbox, assignee, bookmark) read those rows 100 at a time for the
candidates in hand. A group whose status changed since the index was read is left to the partition
it moved to, and one deleted meanwhile is skipped. Only what a page (or the bulk limit) needs is
read: a date-sorted page reads, at first, only the groups up to its end (plus the look-ahead).

Sentry's ``sort``: ``date`` (last seen, the default) is the index order itself. ``new`` (first seen)
and ``freq`` (events) sort the ``SORT_WINDOW`` most recently seen matching groups in memory, read
100 per BatchGetItem. ``user`` (distinct users, as the lists show them) needs one hourly-count Query
per group, so it sorts a smaller window, ``USER_SORT_WINDOW``, with those Queries run side by side."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from shared.errors import BadRequest
from shared.issues.enums import GroupStatus
from shared.issues.events.counts import users_seen
from shared.issues.lookup import IssueScope
from shared.issues.status_index import StatusEntry, entry_groups, status_entries
from shared.storage.base import BATCH_GET_LIMIT, batch_get, chunked
from shared.storage.group_people import GroupAssignee, GroupBookmark
from shared.storage.issues import Group, GroupInbox, IssueItem

DEFAULT_QUERY = "is:unresolved"
BULK_MUTATION_LIMIT = 1000
INVALID_QUERY = "Invalid query. Error getting group ids and group list"
DEFAULT_SORT = "date"
INVALID_SORT = "invalid sort"
SORT_WINDOW = 1000
USER_SORT_WINDOW = 200
_USER_COUNT_READERS = 8

STATUS_WORDS = {
    "unresolved": GroupStatus.UNRESOLVED,
    "resolved": GroupStatus.RESOLVED,
    "ignored": GroupStatus.IGNORED,
    "archived": GroupStatus.IGNORED,
    "muted": GroupStatus.IGNORED,
}
_LISTED_STATUSES = (GroupStatus.UNRESOLVED, GroupStatus.RESOLVED, GroupStatus.IGNORED)


@dataclass
class IssueQuery:
    statuses: set[GroupStatus] = field(default_factory=set)
    for_review: bool = False
    assigned: bool | None = None  # is:assigned / is:unassigned
    assigned_to_me: bool = False
    bookmarked_by_me: bool = False
    text: list[str] = field(default_factory=list)

    @property
    def narrowed(self) -> bool:
        """Whether groups of the statuses asked for may still be left out (text or row filters)."""
        return (
            bool(self.text)
            or self.for_review
            or self.assigned is not None
            or self.assigned_to_me
            or self.bookmarked_by_me
        )


def parse_query(query: str | None) -> IssueQuery:
    """``None`` means Sentry's default ``is:unresolved``; ``""`` lists every live status."""
    parsed = IssueQuery()
    for token in (DEFAULT_QUERY if query is None else query).split():
        key, sep, value = token.partition(":")
        if not sep:
            parsed.text.append(token.lower())
        elif key == "is" and value in STATUS_WORDS:
            parsed.statuses.add(STATUS_WORDS[value])
        elif key == "is" and value == "for_review":
            parsed.for_review = True
        elif key == "is" and value in {"assigned", "unassigned"}:
            parsed.assigned = value == "assigned"
        elif key == "assigned" and value == "me":
            parsed.assigned_to_me = True
        elif key == "bookmarks" and value == "me":
            parsed.bookmarked_by_me = True
        else:
            raise BadRequest(INVALID_QUERY)
    return parsed


def status_query(status: str) -> str:
    """``?status=`` of the bulk endpoints (sentry-cli's ``--status``) as the query it stands for."""
    if status not in STATUS_WORDS:
        raise BadRequest(INVALID_QUERY)
    return f"is:{status}"


def search_groups(
    scope: IssueScope, query: IssueQuery, user_id: int | None, first_read: int = BATCH_GET_LIMIT
) -> Iterator[Group]:
    """The matching groups of the scope's projects, newest last seen first (ties by id). The first
    read fetches ``first_read`` groups (what the caller expects to need, at most 100), later ones 100."""
    statuses = query.statuses or set(_LISTED_STATUSES)
    streams = [status_entries(int(p.id), s) for p in scope.projects for s in sorted(statuses)]
    merged = heapq.merge(*streams, key=lambda e: e.position, reverse=True)
    for entries in _reads(merged, first_read):
        listed = [
            group
            for entry, group in entry_groups(entries)
            if group.gsi1pk == entry.partition and _text_matches(group, query.text)
        ]
        for chunk in chunked(listed, BATCH_GET_LIMIT // 3):
            yield from _filter_by_rows(chunk, query, user_id)


def _reads(entries: Iterator[StatusEntry], first: int) -> Iterator[list[StatusEntry]]:
    """The entries in the batches they are read in: ``first`` (1 to 100), then 100 at a time."""
    size = min(max(first, 1), BATCH_GET_LIMIT)
    while chunk := list(islice(entries, size)):
        yield chunk
        size = BATCH_GET_LIMIT


def _text_matches(group: Group, words: list[str]) -> bool:
    haystack = f"{group.title} {group.culprit or ''}".lower()
    return all(word in haystack for word in words)


def _filter_by_rows(groups: list[Group], query: IssueQuery, user_id: int | None) -> list[Group]:
    """Apply the filters that depend on a group's inbox, assignee or bookmark row."""
    needs_assignee = query.assigned is not None or query.assigned_to_me
    keys: list[tuple[str, str]] = []
    for g in groups:
        if query.for_review:
            keys.append(GroupInbox.key(int(g.id)))
        if needs_assignee:
            keys.append(GroupAssignee.key(int(g.id)))
        if query.bookmarked_by_me:
            keys.append(GroupBookmark.key(int(g.id), user_id or 0))
    if not keys:
        return groups
    present = {
        (row.pk, row.sk): row
        for chunk in chunked(keys, BATCH_GET_LIMIT)
        for row in batch_get(IssueItem, chunk)
    }
    kept = []
    for g in groups:
        gid = int(g.id)
        assignee = present.get(GroupAssignee.key(gid))
        if query.for_review and GroupInbox.key(gid) not in present:
            continue
        if query.assigned is not None and (assignee is not None) != query.assigned:
            continue
        if query.assigned_to_me and not _assigned_to(assignee, user_id):
            continue
        if query.bookmarked_by_me and GroupBookmark.key(gid, user_id or 0) not in present:
            continue
        kept.append(g)
    return kept


def _assigned_to(assignee: IssueItem | None, user_id: int | None) -> bool:
    """``assigned:me``: assigned to the user directly (teams are not expanded)."""
    return isinstance(assignee, GroupAssignee) and user_id is not None and assignee.user_id == user_id


def _user_sort_keys(groups: list[Group]) -> dict[int, int]:
    """Distinct users of each group (the number the lists show), read side by side."""
    if not groups:
        return {}
    with ThreadPoolExecutor(max_workers=min(len(groups), _USER_COUNT_READERS)) as pool:
        counts = pool.map(lambda g: users_seen(int(g.id)), groups)
        return dict(zip((int(g.id) for g in groups), counts, strict=True))


def _sorted_window(
    groups: Iterator[Group], window: int, key: Callable[[list[Group]], Callable[[Group], Any]]
) -> Iterator[Group]:
    """The first ``window`` groups (most recently seen first), sorted by ``key`` descending; ties keep
    the last-seen order (``sorted`` is stable)."""
    candidates = list(islice(groups, window))
    return iter(sorted(candidates, key=key(candidates), reverse=True))


def sort_groups(groups: Iterator[Group], sort: str | None) -> Iterator[Group]:
    """Order the search's groups (newest last seen first) by Sentry's ``sort``; 400 for any other."""
    sort = sort or DEFAULT_SORT
    if sort == "date":
        return groups
    if sort == "new":
        return _sorted_window(groups, SORT_WINDOW, lambda _: lambda g: g.first_seen)
    if sort == "freq":
        return _sorted_window(groups, SORT_WINDOW, lambda _: lambda g: int(g.times_seen))
    if sort == "user":

        def by_users(candidates: list[Group]) -> Callable[[Group], int]:
            users = _user_sort_keys(candidates)
            return lambda g: users[int(g.id)]

        return _sorted_window(groups, USER_SORT_WINDOW, by_users)
    raise BadRequest(INVALID_SORT)


def list_groups(
    scope: IssueScope, query: IssueQuery, user_id: int | None, sort: str | None, end: int
) -> Iterator[Group]:
    """The search in ``sort`` order for a page that ends ``end`` groups in (look-ahead included):
    in the index order, without filters that leave groups out, only those groups are needed, so
    they are the first read; otherwise groups are read 100 at a time."""
    exact = (sort or DEFAULT_SORT) == "date" and not query.narrowed
    first_read = end if exact else BATCH_GET_LIMIT
    return sort_groups(search_groups(scope, query, user_id, first_read), sort)


def bulk_candidates(scope: IssueScope, query: str | None, user_id: int | None) -> list[Group]:
    """What a bulk update without ids applies to: the search's first ``BULK_MUTATION_LIMIT`` groups."""
    return list(islice(search_groups(scope, parse_query(query), user_id), BULK_MUTATION_LIMIT))
