"""A project's rate at the edge: ``INGEST_PROJECT_RATE_LIMIT`` events per second per container.

Each warm container keeps a token bucket per project (one second's worth of events as burst, at least
one event) and takes one token for every event: a request carries at most one event (an envelope has
one event item), so no request takes more than it pays for. It answers 429 with ``Retry-After``
when the bucket is empty. A shared counter in DynamoDB would be exact across containers but would
itself be one hot key per project at storm rates (every event of the project writing it); a
per-container budget costs nothing, and the project's real ceiling is the limit times the number of
warm containers (Lambda's concurrency bounds that). The setting is read at call time; 0 or unset
means no limit."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

from shared.errors import TooManyRequests

RATE_VARIABLE = "INGEST_PROJECT_RATE_LIMIT"
MAX_PROJECTS = 4096


def rate_limit() -> float:
    """Events per second per project and container; 0 when unlimited (or the setting is malformed)."""
    try:
        return max(0.0, float(os.environ.get(RATE_VARIABLE, "0") or 0))
    except ValueError:
        return 0.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


_buckets: dict[int, _Bucket] = {}


def admit(project_id: int) -> None:
    """Take one event from the project's budget, or raise ``TooManyRequests`` (nothing taken)."""
    rate = rate_limit()
    if rate <= 0:
        return
    burst = max(rate, 1.0)
    now = time.monotonic()
    bucket = _buckets.get(project_id)
    if bucket is None:
        if len(_buckets) >= MAX_PROJECTS:
            _buckets.pop(next(iter(_buckets)))
        bucket = _buckets[project_id] = _Bucket(burst, now)
    bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
    bucket.updated = now
    if bucket.tokens < 1.0:
        wait = (1.0 - bucket.tokens) / rate
        detail = "Event submission rejected: the project is over its rate limit"
        raise TooManyRequests(detail, math.ceil(wait))
    bucket.tokens -= 1.0
