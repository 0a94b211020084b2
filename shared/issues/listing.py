"""Issue lists and the search that selects groups for a bulk update without ids.

The query is Sentry's issue search (``shared.search.issues``); an invalid one is refused with
Sentry's 400. The order comes from the ``by_project_listing`` index, one Query stream per (project,
status), newest last seen first, merged lazily, each read in pages that start at what the page needs
and double (a first page never reads the partition's 1 MB). The entries carry the group fields most
filters test (level, first seen, first release, substatus) and the group id, so those checks and
the event conditions run on the entries; the groups behind the entries that pass are read from the
table by one BatchGetItem per 100 (``status_index``), then the checks of their other fields apply,
and checks that need a row beside the group (inbox, assignee, bookmark, subscription, tag summary)
read those rows 100 at a time for the candidates in hand. A group whose status changed since the
index was read is left to the partition it moved to, and one deleted meanwhile is skipped. Every
filter runs over the whole stream, so a page of a filtered list is the page of all matching groups
however many there are; only what a page (or the bulk limit) needs is read: when the entries decide
the matches, a date-sorted page reads, at first, only the groups up to its end (plus the
look-ahead).

Sentry's ``sort``: ``date`` (last seen, the default) is the index order itself. ``new`` (first seen)
and ``freq`` (events) sort the ``SORT_WINDOW`` most recently seen matching groups in memory: ``new``
sorts the entries (they carry first seen) and reads the page's groups when the entries decide the
matches; otherwise the window's groups are read, 100 per BatchGetItem. ``user`` (distinct users, as
the lists show them) needs one hourly-count Query per group, so it sorts a smaller window,
``USER_SORT_WINDOW``, with those Queries run side by side."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from shared.errors import BadRequest
from shared.issues.events.counts import users_seen
from shared.issues.lookup import IssueScope
from shared.issues.status_index import StatusEntry, entry_groups, status_entries
from shared.search.issues import (
    GroupRows,
    IssueSearch,
    SearchContext,
    compile_search,
    row_keys,
)
from shared.search.statuses import STATUS_WORDS
from shared.side_by_side import side_by_side_raising
from shared.storage.base import BATCH_GET_LIMIT, batch_get, chunked
from shared.storage.group_people import GroupAssignee, GroupBookmark, GroupSubscription
from shared.storage.issues import Group, GroupInbox, IssueItem
from shared.tags.store import many_group_tags
from shared.tags.summary import TagSummary

DEFAULT_QUERY = "is:unresolved"
BULK_MUTATION_LIMIT = 1000
INVALID_QUERY = "Invalid query. Error getting group ids and group list"
DEFAULT_SORT = "date"
INVALID_SORT = "invalid sort"
SORT_WINDOW = 1000
USER_SORT_WINDOW = 200
_NEVER = datetime.min.replace(tzinfo=UTC)


def parse_query(query: str | None, context: SearchContext | None = None) -> IssueSearch:
    """``None`` means Sentry's default ``is:unresolved``; ``""`` lists every live status."""
    return compile_search(DEFAULT_QUERY if query is None else query, context or SearchContext(None, []))


def scope_context(scope: IssueScope) -> SearchContext:
    return SearchContext(scope.access.principal.user_id, scope.projects, scope.access)


def status_query(status: str) -> str:
    """``?status=`` of the bulk endpoints (sentry-cli's ``--status``) as the query it stands for."""
    if status not in STATUS_WORDS:
        raise BadRequest(INVALID_QUERY)
    return f"is:{status}"


def matching_entries(scope: IssueScope, query: IssueSearch, first: int) -> Iterator[StatusEntry]:
    """The index entries of the scope's projects that pass the search's entry checks, newest last
    seen first (ties by id); each stream's first index page holds ``first`` entries."""
    streams = [status_entries(p.id, s, first=first) for p in scope.projects for s in query.listed_statuses()]
    merged = heapq.merge(*streams, key=lambda e: e.position, reverse=True)
    return (entry for entry in merged if query.matches_entry(entry))


def entries_groups(entries: Iterator[StatusEntry], query: IssueSearch, first_read: int) -> Iterator[Group]:
    """The groups behind ``entries``, in their order, that pass the search's group and row checks;
    the first read fetches ``first_read`` groups (at most 100), later ones 100."""
    for chunk in _reads(entries, first_read):
        listed = [
            group
            for entry, group in entry_groups(chunk)
            if group.gsi1pk == entry.partition and query.matches_group(group)
        ]
        for rows_chunk in chunked(listed, BATCH_GET_LIMIT // 4):
            yield from _filter_by_rows(rows_chunk, query)


def search_groups(
    scope: IssueScope, query: IssueSearch, user_id: int | None, first_read: int = BATCH_GET_LIMIT
) -> Iterator[Group]:
    """The matching groups of the scope's projects, newest last seen first (ties by id). The first
    read fetches ``first_read`` groups (what the caller expects to need, at most 100), later ones
    100; the index is read from a page of ``first_read`` entries when every entry read is listed,
    of 100 when the entry checks may leave some out."""
    first_entries = BATCH_GET_LIMIT if query.entry_checks else first_read
    return entries_groups(matching_entries(scope, query, first_entries), query, first_read)


def _reads(entries: Iterator[StatusEntry], first: int) -> Iterator[list[StatusEntry]]:
    """The entries in the batches they are read in: ``first`` (1 to 100), then 100 at a time."""
    size = min(max(first, 1), BATCH_GET_LIMIT)
    while chunk := list(islice(entries, size)):
        yield chunk
        size = BATCH_GET_LIMIT


def _filter_by_rows(groups: list[Group], query: IssueSearch) -> list[Group]:
    """Apply the checks that depend on a row beside the group: one BatchGetItem of the rows of up
    to 25 groups, and one of their tag summaries when the search needs them."""
    if not query.row_checks:
        return groups
    keys = [key for g in groups for key in row_keys(query, g.id)]
    present = {(row.pk, row.sk): row for row in batch_get(IssueItem, keys)} if keys else {}
    tags = many_group_tags([g.id for g in groups]) if "tags" in query.needs else {}
    kept = []
    for g in groups:
        gid = g.id
        assignee = present.get(GroupAssignee.key(gid))
        subscription = present.get(GroupSubscription.key(gid, query.subscription_user or 0))
        rows = GroupRows(
            assignee=assignee if isinstance(assignee, GroupAssignee) else None,
            bookmarked=GroupBookmark.key(gid, query.bookmark_user or 0) in present,
            subscribed=isinstance(subscription, GroupSubscription) and bool(subscription.is_active),
            in_inbox=GroupInbox.key(gid) in present,
            tags=tags.get(gid) or TagSummary(),
        )
        if query.matches_rows(g, rows):
            kept.append(g)
    return kept


def _user_sort_keys(groups: list[Group]) -> dict[int, int]:
    """Distinct users of each group (the number the lists show), read side by side."""
    return side_by_side_raising(users_seen, [g.id for g in groups])


def _sorted_window(
    groups: Iterator[Group], window: int, key: Callable[[list[Group]], Callable[[Group], Any]]
) -> Iterator[Group]:
    """The first ``window`` groups (most recently seen first), sorted by ``key`` descending; ties keep
    the last-seen order (``sorted`` is stable)."""
    candidates = list(islice(groups, window))
    return iter(sorted(candidates, key=key(candidates), reverse=True))


def _newest_first_seen(entries: Iterator[StatusEntry]) -> Iterator[StatusEntry]:
    """Sentry's ``new`` on the entries themselves (they carry first seen): the first
    ``SORT_WINDOW`` sorted newest first seen first, ties in last-seen order."""
    window = list(islice(entries, SORT_WINDOW))
    return iter(sorted(window, key=lambda e: e.first_seen or _NEVER, reverse=True))


def sort_groups(groups: Iterator[Group], sort: str | None) -> Iterator[Group]:
    """Order the search's groups (newest last seen first) by Sentry's ``sort``; 400 for any other."""
    sort = sort or DEFAULT_SORT
    if sort == "date":
        return groups
    if sort == "new":
        return _sorted_window(groups, SORT_WINDOW, lambda _: lambda g: g.first_seen)
    if sort == "freq":
        return _sorted_window(groups, SORT_WINDOW, lambda _: lambda g: g.times_seen)
    if sort == "user":

        def by_users(candidates: list[Group]) -> Callable[[Group], int]:
            users = _user_sort_keys(candidates)
            return lambda g: users[g.id]

        return _sorted_window(groups, USER_SORT_WINDOW, by_users)
    raise BadRequest(INVALID_SORT)


def list_groups(
    scope: IssueScope, query: IssueSearch, user_id: int | None, sort: str | None, end: int
) -> Iterator[Group]:
    """The search in ``sort`` order for a page that ends ``end`` groups in (look-ahead included).
    When only the index entries' fields decide which groups match, every group read is listed:
    in the index order (or, for ``new``, the entries sorted by the first seen they carry) only the
    page's groups are read, so they are the first read; otherwise groups are read 100 at a time."""
    sort = sort or DEFAULT_SORT
    if not query.reads_to_filter and sort in {"date", "new"}:
        if sort == "new":
            entries = _newest_first_seen(matching_entries(scope, query, SORT_WINDOW))
        else:
            entries = matching_entries(scope, query, BATCH_GET_LIMIT if query.entry_checks else end)
        return entries_groups(entries, query, end)
    return sort_groups(search_groups(scope, query, user_id), sort)


def bulk_candidates(scope: IssueScope, query: str | None, user_id: int | None) -> list[Group]:
    """What a bulk update without ids applies to: the search's first ``BULK_MUTATION_LIMIT`` groups."""
    search = parse_query(query, scope_context(scope))
    return list(islice(search_groups(scope, search, user_id), BULK_MUTATION_LIMIT))
