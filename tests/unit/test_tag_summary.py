"""The tag summary of an issue stays bounded however many distinct values arrive, keeps the frequent
values with exact counts, and its long tail is what the kept counts leave of the total; a storming
issue's batches are sampled with unbiased weights."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from shared.tags.store import EVENTS_PER_WRITE, sampling_weight
from shared.tags.summary import MAX_KEYS, TOP_ENVIRONMENTS, TOP_VALUES, TagSummary

START = datetime(2026, 1, 1, tzinfo=UTC)


def _events(values: list[str], key: str = "browser") -> list[tuple[datetime, dict[str, str]]]:
    return [(START + timedelta(seconds=n), {key: value}) for n, value in enumerate(values)]


def test_heavy_values_stay_exact_and_the_tail_is_bounded() -> None:
    summary = TagSummary()
    tail = [f"bot-{n}" for n in range(3_000)]  # every one seen once
    for batch in range(10):  # in batches, as the processor merges them
        part = tail[batch * 300 : (batch + 1) * 300] + ["Chrome"] * 200 + ["Firefox"] * 100
        summary.add_events(_events(part))
    counts = summary.keys["browser"]
    assert counts.total == 6_000 and len(counts.values) == TOP_VALUES
    kept = {v.value: v for v in counts.values}
    # more frequent than total / TOP_VALUES: kept, and never displaced, so exact
    assert (kept["Chrome"].count, kept["Chrome"].error) == (2_000, 0)
    assert (kept["Firefox"].count, kept["Firefox"].error) == (1_000, 0)
    assert [v.value for v in counts.top()[:2]] == ["Chrome", "Firefox"]
    assert 3_000 - TOP_VALUES <= counts.tail <= 3_000
    stored = summary.to_bytes()
    assert len(stored) < 2_000 and TagSummary.from_bytes(stored) == summary


def test_first_and_last_seen_and_the_newest_value() -> None:
    summary = TagSummary()
    summary.add_events(_events(["app@1", "app@2", "app@1"], key="release"))
    [one, two] = sorted(summary.keys["release"].values, key=lambda v: v.value)
    assert (one.count, one.first, one.last) == (2, int(START.timestamp()), int(START.timestamp()) + 2)
    assert two.count == 1 and summary.newest_value("release") == "app@1"


def test_environments_keep_more_values_and_keys_are_bounded() -> None:
    summary = TagSummary()
    summary.add_events(_events([f"env-{n}" for n in range(100)], key="environment"))
    assert len(summary.keys["environment"].values) == TOP_ENVIRONMENTS
    summary.add_events([(START, {f"key-{n}": "x" for n in range(MAX_KEYS * 2)})])
    assert len(summary.keys) == MAX_KEYS


def test_a_storming_issue_is_sampled_without_bias() -> None:
    assert sampling_weight(3, False, 0.99) == 1.0  # not busy: exact
    assert sampling_weight(10, True, 0.5) is None  # 10 / 40: written one batch in four
    assert sampling_weight(10, True, 0.2) == EVENTS_PER_WRITE / 10
    assert sampling_weight(50, True, 0.99) == 1.0
    random.seed(7)
    summary = TagSummary()
    for _ in range(4_000):  # batches of 5 events of a storming issue, 4 of 5 in production
        weight = sampling_weight(5, True, random.random())
        if weight is not None:
            summary.add_events(_events(["production"] * 4 + ["staging"], key="environment"), weight)
    counts = {v.value: v.count for v in summary.keys["environment"].values}
    total = summary.keys["environment"].total
    assert abs(total - 20_000) < 2_500  # about 800 events of standard deviation
    assert counts["production"] + counts["staging"] == total
    assert abs(counts["production"] / total - 0.8) < 0.02
