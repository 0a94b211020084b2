"""Measure the distinct-user sketch's error where it is used: audiences of 101 (where the exact set
turns into a HyperLogLog) to 20,000 users, over many independent sets of users (seeds).

Each seed adds random 64-bit user keys one at a time and reads the estimate at every checkpoint,
as an hour's sketch is read while it fills. Prints, per range of sizes and over all of them, the
relative bias (mean error), the RMSE, the largest error seen and the share within three
stated standard errors, and the estimator's stated
standard error, as one JSON object on its last line. Runs in well under two minutes, in-process.
"""

from __future__ import annotations

import json
import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.issues.events.user_sketch import EXACT_LIMIT, REGISTERS, STANDARD_ERROR, UserSketch

SEEDS = 1000
RANGES = {
    "101-1000": range(EXACT_LIMIT + 1, 1_001, 100),
    "1000-5000": range(1_000, 5_001, 250),
    "5000-8000": range(5_000, 8_001, 250),
    "8000-12000": range(8_000, 12_001, 250),
    "12000-20000": range(12_000, 20_001, 500),
}


def relative_errors(seed: int, checkpoints: list[int]) -> dict[int, float]:
    """(estimate - true) / true at each checkpoint, for one random audience of 64-bit user keys."""
    rng = random.Random(seed)
    sketch, users, errors = UserSketch(), 0, {}
    for checkpoint in checkpoints:
        sketch = sketch.add(rng.getrandbits(64) for _ in range(checkpoint - users))
        users = checkpoint
        errors[checkpoint] = (sketch.count() - users) / users
    return errors


def summary(errors: list[float]) -> dict[str, float]:
    return {
        "bias_pct": round(100 * sum(errors) / len(errors), 2),
        "rmse_pct": round(100 * math.sqrt(sum(e * e for e in errors) / len(errors)), 2),
        "max_error_pct": round(100 * max(abs(e) for e in errors), 2),
        "within_3_standard_errors_pct": round(
            100 * sum(abs(e) <= 3 * STANDARD_ERROR for e in errors) / len(errors), 2
        ),
        "estimates": len(errors),
    }


def main() -> None:
    checkpoints = sorted({size for sizes in RANGES.values() for size in sizes})
    by_size: dict[int, list[float]] = {size: [] for size in checkpoints}
    for seed in range(SEEDS):
        for size, error in relative_errors(seed, checkpoints).items():
            by_size[size].append(error)
    figures: dict[str, object] = {
        "seeds": SEEDS,
        "registers": REGISTERS,
        "stated_standard_error_pct": round(100 * STANDARD_ERROR, 2),
    }
    for name, sizes in RANGES.items():
        figures[name] = summary([e for size in sizes for e in by_size[size]])
    worst = max(checkpoints, key=lambda size: abs(sum(by_size[size])))
    figures["worst_bias_at"] = {"users": worst, **summary(by_size[worst])}
    figures["all"] = summary([e for errors in by_size.values() for e in errors])
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
