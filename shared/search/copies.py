"""The event search's columnar copies of the event store: Parquet files of the search's columns
(``shared.search.duckdb_engine.COLUMNS``), one per day (or, for the day still being kept, per
hour) of event objects, named ``<yyyy>-<mm>-<dd>[-<hh>].parquet`` in a folder beside the local
store's data (``make run``'s data folder): the local engine's, which AWS does not run.

A copy is written once its objects are complete: a batch's object is named by the moment it was
kept, and its PUT ends within the same Lambda invocation, which lasts 15 minutes at most
(``PUT_LAG``), so an hour whose end is that far past holds every object it will ever hold
(``sealed_before``). A reader
reads a period's copies and lists only the hours none covers (a million events are a thousand
objects and more: listing them all would take longer than the search). Each row names its object,
so a reader drops the rows of objects it found gone. ``v1`` names the columns' layout: a change of
columns takes a new folder."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

VERSION = "v1"
EVENTS = "events/"
# The longest a batch's PUT can end after the moment that names its object: Lambda's longest run.
PUT_LAG = timedelta(minutes=15)


def hour_of_object(key: str) -> str:
    """The ``yyyy/mm/dd/hh`` an event object was kept in (its name's first part)."""
    return key[len(EVENTS) : len(EVENTS) + 13]


def sealed_before(now: datetime) -> str:
    """The first hour that may still get objects: every hour before it is complete."""
    return f"{now - PUT_LAG:%Y/%m/%d/%H}"


def copy_key(unit: str) -> str:
    """The copy's file name for a day (``yyyy/mm/dd``) or an hour (``yyyy/mm/dd/hh``)."""
    return unit.replace("/", "-") + ".parquet"


def unit_of(copy: str) -> str:
    """The day or hour a copy's name covers (``copy_key``'s inverse)."""
    return copy.removesuffix(".parquet").replace("-", "/")


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


def uncovered(first_hour: str, units: Iterable[str], now: datetime) -> list[tuple[str, str | None]]:
    """The runs of hours from ``first_hour`` on that none of ``units`` (the copies read) covers,
    first and last hour (None: on to now), which the reader lists: a copy holds every object of its
    day or hour, and objects gone since a copy was written are expired ones, older than any period."""
    days = {unit for unit in units if len(unit) == 10}
    hours = {unit for unit in units if len(unit) == 13}
    runs: list[tuple[str, str | None]] = []
    moment = datetime.strptime(first_hour, "%Y/%m/%d/%H").replace(tzinfo=now.tzinfo)
    run_start: str | None = None
    while moment <= now:
        hour = f"{moment:%Y/%m/%d/%H}"
        if hour[:10] in days or hour in hours:
            if run_start is not None:
                runs.append((run_start, f"{moment - timedelta(hours=1):%Y/%m/%d/%H}"))
                run_start = None
        elif run_start is None:
            run_start = hour
        moment += timedelta(hours=1)
    return [*runs, (run_start, None)] if run_start is not None else runs
