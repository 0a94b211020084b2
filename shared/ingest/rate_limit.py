"""A project's rate at the edge: ``INGEST_PROJECT_RATE_LIMIT`` events per second per container.

Each warm container keeps a token bucket per project (one second's worth of events as burst) and
answers 429 with ``Retry-After`` when it is empty. A shared counter in DynamoDB would be exact
across containers but would itself be one hot key per project at storm rates (every event of the
project writing it); a per-container budget costs nothing, and the project's real ceiling is the
limit times the number of warm containers (Lambda's concurrency bounds that). The setting is read
at call time; 0 or unset means no limit."""

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


def admit(project_id: int, events: int) -> None:
    """Take ``events`` from the project's budget, or raise ``TooManyRequests`` (nothing taken)."""
    rate = rate_limit()
    if rate <= 0 or events <= 0:
        return
    now = time.monotonic()
    bucket = _buckets.get(project_id)
    if bucket is None:
        if len(_buckets) >= MAX_PROJECTS:
            _buckets.pop(next(iter(_buckets)))
        bucket = _buckets[project_id] = _Bucket(rate, now)
    bucket.tokens = min(rate, bucket.tokens + (now - bucket.updated) * rate)
    bucket.updated = now
    need = min(float(events), rate)  # an envelope larger than the burst still passes when it is full
    if bucket.tokens < need:
        wait = (need - bucket.tokens) / rate
        detail = "Event submission rejected: the project is over its rate limit"
        raise TooManyRequests(detail, math.ceil(wait))
    bucket.tokens -= need
