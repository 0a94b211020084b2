"""The event search's columnar copies of the event store: Parquet objects of the search's columns
(``shared.search.duckdb_engine.COLUMNS``), one per day (or, for the day still being kept, per
hour) of event objects, under ``search/v1/events/`` in the events bucket.

A copy is written once its objects are complete: a batch's object is named by the hour it was kept
in, and its PUT ends within the next hour, so an hour whose end is an hour past holds every object
it will ever hold (``sealed``). A reader never relies on that for its answer: a copy carries each
row's object name, the reader keeps only the rows of objects it listed and reads any listed object
no copy holds from its JSON, so a copy that misses an object, or holds one gone since, changes
nothing but the speed. ``v1`` names the columns' layout: a change of columns takes a new prefix."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

COPIES = "search/v1/events/"
EVENTS = "events/"


def hour_of_object(key: str) -> str:
    """The ``yyyy/mm/dd/hh`` an event object was kept in (its name's first part)."""
    return key[len(EVENTS) : len(EVENTS) + 13]


def sealed_before(now: datetime) -> str:
    """The first hour that may still get objects: every hour before it is complete."""
    return f"{now - timedelta(hours=1):%Y/%m/%d/%H}"


def copy_key(unit: str) -> str:
    """The copy of a day (``yyyy/mm/dd``) or an hour (``yyyy/mm/dd/hh``)."""
    return f"{COPIES}{unit}.parquet"


def unit_of(copy: str) -> str:
    """The day or hour a copy's name covers (``copy_key``'s inverse)."""
    return copy[len(COPIES) : -len(".parquet")]


def units_to_write(hours: Iterable[str], first_hour: str, now: datetime) -> set[str]:
    """The days and hours to copy, of the ``hours`` that hold objects (all of them read since
    ``first_hour``): a day once all its hours are sealed, else each sealed hour of it."""
    limit = sealed_before(now)
    units = set()
    for hour in hours:
        day = hour[:10]
        if f"{day}/00" >= first_hour and f"{day}/23" < limit:
            units.add(day)
        elif first_hour <= hour < limit:
            units.add(hour)
    return units


def chosen(copies: Iterable[str], first_hour: str) -> list[str]:
    """The copies to read for a period from ``first_hour``: each day's copy, or its hours' where the
    day has none yet, none of them wholly before the period."""
    units = {unit_of(copy) for copy in copies}
    days = {unit for unit in units if len(unit) == 10 and f"{unit}/23" >= first_hour}
    hours = {unit for unit in units if len(unit) == 13 and unit >= first_hour and unit[:10] not in days}
    return sorted(copy_key(unit) for unit in days | hours)
