"""The distinct-user sketch: exact while small, a HyperLogLog within its stated error after that."""

from __future__ import annotations

import math
import random

import pytest

from shared.issues.events.user_sketch import EXACT_LIMIT, REGISTERS, STANDARD_ERROR, UserSketch, merged


def _users(start: int, stop: int) -> list[str]:
    return [f"user-{n}" for n in range(start, stop)]


def test_small_audiences_are_counted_exactly_and_stay_tiny() -> None:
    sketch = UserSketch.of(_users(0, EXACT_LIMIT) + _users(0, 10))
    assert sketch.registers is None and sketch.count() == EXACT_LIMIT
    assert len(sketch.to_bytes()) == 1 + 8 * EXACT_LIMIT
    assert (
        UserSketch.of(["alice"]).to_bytes().startswith(b"E") and len(UserSketch.of(["alice"]).to_bytes()) == 9
    )


@pytest.mark.parametrize("users", [EXACT_LIMIT + 1, 1_000, 10_000, 100_000, 300_000])
def test_large_audiences_are_estimated_within_three_standard_errors(users: int) -> None:
    sketch = UserSketch.of(_users(0, users))
    assert sketch.registers is not None and len(sketch.registers) == REGISTERS
    assert abs(sketch.count() - users) <= 3 * STANDARD_ERROR * users
    assert len(sketch.to_bytes()) < 4 * 1024  # fixed size, compressed


def _relative_errors(seed: int, checkpoints: range) -> list[float]:
    """(estimate - true) / true at each checkpoint while one random audience grows."""
    rng = random.Random(seed)
    sketch, users, errors = UserSketch(), 0, []
    for checkpoint in checkpoints:
        sketch = sketch.add(rng.getrandbits(64) for _ in range(checkpoint - users))
        users = checkpoint
        errors.append((sketch.count() - users) / users)
    return errors


@pytest.mark.parametrize(
    "checkpoints",
    [
        range(EXACT_LIMIT + 1, 1_001, 100),
        range(5_000, 8_001, 500),
        range(8_000, 12_001, 250),
        range(12_000, 20_001, 1_000),
    ],
    ids=["101-1000", "5000-8000", "8000-12000 (where linear counting used to end)", "12000-20000"],
)
def test_estimates_are_unbiased_within_the_stated_error_over_many_audiences(checkpoints: range) -> None:
    errors = [e for seed in range(60) for e in _relative_errors(seed, checkpoints)]
    bias = sum(errors) / len(errors)
    rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
    assert abs(bias) < 0.005  # the classic estimator: +1 % over 8,000-12,000, +2.4 % at 10,250
    assert rmse <= STANDARD_ERROR  # the classic estimator: 2.1 % over 8,000-12,000
    assert max(abs(e) for e in errors) <= 4 * STANDARD_ERROR


def test_merging_counts_each_user_once() -> None:
    hours = [UserSketch.of(_users(n * 5_000, n * 5_000 + 10_000)) for n in range(4)]  # overlapping halves
    union = merged(hours)
    assert union == UserSketch.of(_users(0, 25_000))  # register maximum = the sketch of the union
    assert abs(union.count() - 25_000) <= 3 * STANDARD_ERROR * 25_000
    small = merged([UserSketch.of(["a", "b"]), UserSketch.of(["b", "c"])])
    assert small.count() == 3 and small.registers is None
    assert merged([small, hours[0]]).count() == hours[0].merge(UserSketch.of(["a", "b", "c"])).count()


def test_stored_form_round_trips_and_a_repeat_changes_nothing() -> None:
    for sketch in (UserSketch(), UserSketch.of(_users(0, 50)), UserSketch.of(_users(0, 5_000))):
        assert UserSketch.from_bytes(sketch.to_bytes()) == sketch
    for users in (50, 5_000):
        assert UserSketch.of(_users(0, users)).merge(UserSketch.of(_users(0, 10))) == UserSketch.of(
            _users(0, users)
        )
