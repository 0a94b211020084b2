"""The escalation forecast of an archived-until-escalating group (docs/decisions.md §status.3).

Sentry's standard algorithm ("version A" of ``escalating_issues_alg``): from the group's hourly event
counts of the past seven days it derives one ceiling per day for the next fourteen days. A group
escalates when the events of the current hour exceed today's ceiling. Like Snuba's grouped query,
the input holds only the hours that had events, so "less than a week of data" means fewer than
168 such hours."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.issues.events.counts import hourly_counts
from shared.storage.base import utcnow
from shared.storage.group_state import GroupForecast, hour_bucket, hour_start
from shared.storage.issues import Group

FORECAST_DAYS = 14
HISTORY = timedelta(days=7)
HOURS_IN_WEEK = 168
# Below this many events in the busiest hour, the ceiling is the floor: too little data to learn from.
SPARSE_MAX_HOURLY = 30
MINIMUM_CEILING = 200
NEW_ISSUE_MULTIPLIER = 10


@dataclass(frozen=True)
class Thresholds:
    """Sentry's standard thresholds: 5 standard deviations, spike multiplier in [5, 8], bursty in [2, 5]."""

    std_multiplier: float = 5
    min_spike: float = 5
    max_spike: float = 8
    min_bursty: float = 2
    max_bursty: float = 5


STANDARD = Thresholds()


def generate_forecast(
    counts: dict[datetime, int], start: datetime, thresholds: Thresholds = STANDARD
) -> list[int]:
    """Fourteen daily ceilings from ``start``'s day, given the hours that had events (hour → count)."""
    days = [start + timedelta(days=n) for n in range(FORECAST_DAYS)]
    hours = [h for h, c in sorted(counts.items()) if c > 0]
    data = [counts[h] for h in hours]
    if not data or max(data) < SPARSE_MAX_HOURLY:
        return [MINIMUM_CEILING] * FORECAST_DAYS
    peak = max(data)
    if len(data) < HOURS_IN_WEEK:
        return [peak * NEW_ISSUE_MULTIPLIER] * FORECAST_DAYS
    average = statistics.mean(data)
    deviation = statistics.stdev(data)
    variation = deviation / average
    bursty = min(max(thresholds.min_bursty, 5 * math.e ** (-0.65 * variation)), thresholds.max_bursty)
    bursty_limit = peak * bursty
    spike = min(
        max((average + thresholds.std_multiplier * deviation) / average, thresholds.min_spike),
        thresholds.max_spike,
    )
    baseline = spike * average
    ceilings = []
    for day in days:
        # Hours on the same weekday as the forecast day weigh double: daily seasonality.
        weights = [1 + (hour.weekday() == day.weekday()) for hour in hours]
        weighted_average = sum(d * w for d, w in zip(data, weights, strict=True)) / sum(weights)
        ceilings.append(int(max(bursty_limit, weighted_average + baseline)))
    return ceilings


def _past_week_counts(group_id: int, now: datetime) -> dict[datetime, int]:
    rows = hourly_counts(group_id, now - HISTORY, now)
    return {hour_start(hour): row.count or 0 for hour, row in rows.items()}


def save_forecast(group: Group, now: datetime | None = None) -> GroupForecast:
    """Compute the group's forecast from its past week and store it (replacing any earlier one)."""
    now = now or utcnow()
    pk, sk = GroupForecast.key(group.id)
    forecast = GroupForecast(
        pk=pk, sk=sk, forecast=generate_forecast(_past_week_counts(group.id, now), now), date_added=now
    )
    forecast.save()
    return forecast


def todays_ceiling(forecast: GroupForecast | None, now: datetime) -> int:
    """Today's value of a stored forecast; past its fourteen days the last value holds, as in Sentry.
    A group without a forecast gets the minimum ceiling."""
    if forecast is None or not forecast.forecast:
        return MINIMUM_CEILING
    index = (now.date() - forecast.date_added.date()).days
    values = list(forecast.forecast)
    return int(values[min(max(index, 0), len(values) - 1)])


def is_escalating(group: Group, now: datetime | None = None) -> bool:
    """Whether the events of the current hour exceed today's ceiling (Sentry's ``is_escalating``).
    Two reads: the forecast and the current hour's count."""
    now = now or utcnow()
    try:
        forecast = GroupForecast.get(*GroupForecast.key(group.id), consistent_read=True)
    except GroupForecast.DoesNotExist:
        forecast = None
    current = hourly_counts(group.id, now, now).get(hour_bucket(now))
    return (current.count or 0) > todays_ceiling(forecast, now) if current else False
