"""An issue's ``count``, ``userCount`` and ``stats`` in the environments a request names
(``?environment=``, repeatable), as Sentry answers them from its event store.

Exact, from the events themselves: one query of the event search engine per page
(``shared.search.engine.group_stats``: DuckDB locally, Athena on AWS) over the page's groups' kept
events in those environments, giving each group's events and distinct users (the derived ``user``
tag, Sentry's ``sentry:user``) over the retention and over the ``statsPeriod``, and its events per
hour for the ``stats`` series. Nothing is written for it at ingestion. Like Sentry's, these
numbers cover the events still kept (the retention period), where the unnarrowed ``count`` is the
issue's lifetime total.

The ``freq`` and ``user`` sorts narrow alike: the ``SORT_WINDOW`` most recently seen matching
groups are ordered by their events or users in those environments, from one query for all of them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from shared.issues.events.counts import RecentCounts
from shared.issues.listing import SORT_WINDOW
from shared.issues.periods import SERIES, ListPeriods, stats_body
from shared.search.engine import group_stats
from shared.search.event_sql import literal
from shared.search.grammar import InvalidSearchQuery
from shared.storage.base import utcnow
from shared.storage.issues import Group


def _hours_from(now: datetime, series: Sequence[str]) -> datetime:
    """The start of the oldest bucket of the series shown (a day early: daily buckets start at
    midnight)."""
    longest = max((count * size for count, size in (SERIES[name] for name in series)), default=timedelta(0))
    return now - longest - timedelta(days=1)


def _searchable(environments: Collection[str]) -> list[str]:
    """The environments an event can have: a name no SQL literal holds (control characters, which
    Relay refuses in an environment) matches no event rather than failing the request."""
    usable = []
    for name in sorted(environments):
        try:
            literal(name)
        except InvalidSearchQuery:
            continue
        usable.append(name)
    return usable


def narrow_counts(
    bodies: Sequence[dict[str, Any]],
    groups: Sequence[Group],
    environments: Collection[str],
    periods: ListPeriods | None = None,
) -> None:
    """Make each serialized group's ``count``, ``userCount`` and ``stats`` (and ``lifetime`` when a
    ``statsPeriod`` chose the counts) those of its events in ``environments``; nothing is read when
    none are named."""
    if not environments or not groups:
        return
    now = utcnow()
    series = periods.series if periods is not None else ("24h",)
    since = periods.since if periods is not None else None
    rows = group_stats(
        [g.id for g in groups],
        sorted({g.project_id for g in groups}),
        _searchable(environments),
        since or now,
        _hours_from(now, series),
    )
    totals: dict[int, tuple[int, int, int, int]] = {}
    hours: dict[int, dict[str, int]] = {g.id: {} for g in groups}
    for group_id, hour, total, events, recent, users, recent_users in rows:
        if total:
            totals[group_id] = (events, recent, users, recent_users)
        elif hour is not None:
            hours.setdefault(group_id, {})[hour] = events
    for body, group in zip(bodies, groups, strict=True):
        events, recent, users, recent_users = totals.get(group.id, (0, 0, 0, 0))
        body["stats"] = stats_body(RecentCounts(hours[group.id], {}, now), series)
        if "lifetime" in body:
            body["lifetime"]["count"], body["lifetime"]["userCount"] = str(events), users
            body["count"], body["userCount"] = str(recent), recent_users
        else:
            body["count"], body["userCount"] = str(events), users


# The sorts the environments narrow → the position of their key in a total row's numbers.
_SORT_KEYS = {"freq": 0, "user": 2}


def environment_sorted(
    list_groups: Callable[[str | None], Iterator[Group]], sort: str | None, environments: Collection[str]
) -> Iterator[Group]:
    """The list's groups in ``sort`` order (``list_groups`` lists them in a given sort); ``freq``
    and ``user`` with environments named: by the events or users in those environments (ties keep
    the last-seen order)."""
    if not environments or sort not in _SORT_KEYS:
        return list_groups(sort)
    candidates = list(islice(list_groups("date"), SORT_WINDOW))
    if not candidates:
        return iter(())
    now = utcnow()
    projects = sorted({g.project_id for g in candidates})
    rows = group_stats([g.id for g in candidates], projects, _searchable(environments), now, now)
    totals = {row[0]: (row[3], row[4], row[5]) for row in rows if row[2]}
    position = _SORT_KEYS[sort]
    return iter(sorted(candidates, key=lambda g: totals.get(g.id, (0, 0, 0))[position], reverse=True))
