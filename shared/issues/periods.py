"""The periods of Sentry's issue lists and details: ``statsPeriod`` (the period ``count`` and
``userCount`` cover, e.g. ``24h``, ``14d``) and ``groupStatsPeriod`` (which ``stats`` series a list
shows: ``24h`` hourly, ``14d`` daily, ``auto``, or ``""`` for none).

Counts are read from the retained hourly rows (seven days): a longer period counts those seven days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.errors import BadRequest
from shared.issues.events.counts import RecentCounts

_PERIOD = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
SERIES = {"24h": (24, timedelta(hours=1)), "14d": (14, timedelta(days=1)), "30d": (30, timedelta(days=1))}
INVALID_STATS_PERIOD = "Invalid stats_period. Valid choices are '', '24h', '14d', and 'auto'"


def parse_period(value: str | None) -> timedelta | None:
    """Sentry's ``parse_stats_period``: ``<number><s|m|h|d|w>``; None when absent, 400 when invalid."""
    if not value:
        return None
    match = _PERIOD.match(value)
    if match is None:
        raise BadRequest("Invalid statsPeriod")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class ListPeriods:
    """What an issue list was asked to count over (``since``: None = all retained) and show."""

    since: datetime | None
    series: tuple[str, ...]

    @classmethod
    def of(cls, stats_period: str | None, group_stats_period: str | None, now: datetime) -> ListPeriods:
        period = parse_period(stats_period)
        wanted = "24h" if group_stats_period is None else group_stats_period
        if wanted not in {"", "24h", "14d", "auto"}:
            raise BadRequest(INVALID_STATS_PERIOD)
        if wanted == "auto":  # Sentry: hourly series for periods up to a day, else daily
            wanted = "24h" if period is None or period <= timedelta(days=1) else "14d"
        return cls(None if period is None else now - period, (wanted,) if wanted else ())


def stats_body(counts: RecentCounts, series: tuple[str, ...]) -> dict[str, list[list[int]]]:
    """Sentry's ``stats``: per series, ``[unix time of the bucket, events]``, oldest first."""
    body = {}
    for name in series:
        body[name] = [[int(start.timestamp()), count] for start, count in counts.series(*SERIES[name])]
    return body
