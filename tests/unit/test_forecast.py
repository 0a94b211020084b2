"""Sentry's standard escalation forecast, on hand-computable inputs."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

from shared.issues.events.forecast import FORECAST_DAYS, MINIMUM_CEILING, generate_forecast

START = datetime(2026, 11, 23, 10, tzinfo=UTC)


def _hours(values: list[int]) -> dict[datetime, int]:
    first = START - timedelta(hours=len(values))
    return {first + timedelta(hours=n): v for n, v in enumerate(values)}


def test_no_or_sparse_data_gets_the_minimum_ceiling() -> None:
    assert generate_forecast({}, START) == [MINIMUM_CEILING] * FORECAST_DAYS
    assert generate_forecast(_hours([29] * 200), START) == [MINIMUM_CEILING] * FORECAST_DAYS


def test_less_than_a_week_of_busy_hours_gets_ten_times_the_peak() -> None:
    assert generate_forecast(_hours([5, 40, 12]), START) == [400] * FORECAST_DAYS


def test_hours_without_events_are_not_data_points() -> None:
    counts = _hours([40] * 100)
    counts.update({START - timedelta(days=6, hours=n): 0 for n in range(100)})
    assert generate_forecast(counts, START) == [400] * FORECAST_DAYS


def test_a_steady_week_follows_the_average_plus_spike_baseline() -> None:
    values = [100 if n % 2 else 50 for n in range(168)]
    forecast = generate_forecast(_hours(values), START)
    average, deviation = statistics.mean(values), statistics.stdev(values)
    spike = min(max((average + 5 * deviation) / average, 5), 8)
    # Every weekday appears equally often with the same values, so the weighted average is the mean.
    assert len(forecast) == FORECAST_DAYS
    assert all(abs(value - int(average + spike * average)) <= 1 for value in forecast)
    assert all(value > max(values) for value in forecast)
