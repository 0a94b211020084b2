"""The tag summary of an issue stays bounded however many distinct values arrive, keeps the frequent
values with exact counts, and its long tail is what the kept counts leave of the total."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
