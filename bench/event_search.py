"""The event search engine over 1 million kept events: a tag filter and a user filter, locally (DuckDB
in the process, over the event store's objects in S3) and estimated on AWS (Athena's price per byte
scanned).

The events are written straight in the store's format (``shared.events.objects``: gzip NDJSON, a
gzip member per line, ``events/<yyyy>/<mm>/<dd>/<hh>/<batch>.ndjson.gz``), ``PER_OBJECT`` to an
object as a processed batch writes them, spread over the last ``DAYS`` days, into S3 (moto, in the
process). Each is an SDK exception event of about 1.3 KB of JSON (three frames, contexts,
breadcrumbs, request, user and tags), over ``GROUPS`` issues; ``customer`` has 50,000 values and the
user 200,000, so a filtered value is far outside any issue's top ten.

Figures: the first search (the process reads every object of the period: listing, GETs, DuckDB's
JSON reader into its table) and the warm searches (median of ``REPEATS``), each through
``shared.search.engine.matching_groups`` exactly as the issue search calls it; and the query an
issue list narrowed by ``environment=`` runs (``shared.search.engine.group_stats``) for a page of
25 issues (counts, users, hourly stats) and for the 1,000 a ``freq``/``user`` sort orders. On AWS,
Athena reads the period's objects whole (JSON is not columnar): bytes scanned = their compressed
size, at $5 per TB with a 10 MB minimum per query. The last line is one JSON object."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import zlib
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EVENTS = 1_000_000
PER_OBJECT = 1_000
GROUPS = 10_000
DAYS = 10
REPEATS = 5
ATHENA_DOLLARS_PER_TB = 5.0
ATHENA_MINIMUM_BYTES = 10 * 1024**2
PROJECT_ID = 1
QUERIES = {"tag": "customer:c12345", "user": "user.email:u4242@example.com"}

# One event's document with the placeholders each event fills (built once: ``json.dumps`` per
# event would take most of the bench's two minutes).
_TEMPLATE = json.dumps(
    {
        "event_id": "@ID@",
        "project_id": PROJECT_ID,
        "group_id": 0,
        "hash": "@HASH@",
        "received": "@TIME@",
        "timestamp": "@TIME@",
        "type": "error",
        "title": "ValueError: invalid order @GROUP@",
        "culprit": "shop.orders in checkout",
        "metadata": {"type": "ValueError", "value": "invalid order"},
        "message": "",
        "release": "shop@1.@RELEASE@",
        "size": 1300,
        "tags": {
            "browser": "Chrome @BROWSER@",
            "customer": "c@CUSTOMER@",
            "environment": "production",
            "level": "error",
            "release": "shop@1.@RELEASE@",
            "user": "email:u@USER@@example.com",
        },
        "user": {"email": "u@USER@@example.com", "id": "@USER@"},
        "data": {
            "platform": "python",
            "exception": {
                "values": [
                    {
                        "type": "ValueError",
                        "value": "invalid order",
                        "stacktrace": {
                            "frames": [
                                {"filename": f"shop/orders_{i}.py", "function": f"step_{i}", "lineno": 10 + i}
                                for i in range(3)
                            ]
                        },
                    }
                ]
            },
            "contexts": {"os": {"name": "Linux"}, "runtime": {"name": "CPython", "version": "3.13.1"}},
            "breadcrumbs": {"values": [{"category": "http", "message": "GET /cart"}] * 2},
            "request": {"url": "https://shop.example.com/checkout", "method": "POST"},
            "user": {"email": "u@USER@@example.com", "id": "@USER@"},
            "tags": [["customer", "c@CUSTOMER@"]],
        },
    },
    separators=(",", ":"),
).replace('"group_id":0', '"group_id":@GROUP@')


# The template as a %-format: one formatting per event.
_FORMAT = _TEMPLATE.replace("%", "%%")
for _name in ("ID", "HASH", "TIME", "GROUP", "RELEASE", "BROWSER", "CUSTOMER", "USER"):
    _FORMAT = _FORMAT.replace(f"@{_name}@", f"%({_name})s")


def _line(number: int, when: str) -> bytes:
    text = _FORMAT % {
        "ID": f"{number:032x}",
        "HASH": f"{number % GROUPS:032x}",
        "TIME": when,
        "GROUP": 1_000 + number % GROUPS,
        "RELEASE": number % 20,
        "BROWSER": number % 50,
        "CUSTOMER": number * 7 % 50_000,
        "USER": number * 13 % 200_000,
    }
    # a gzip member of its own, as the store writes; level 1 and a small hash table are quicker to
    # set up than the store's level 6, and compress a little less (the bytes Athena would scan are
    # an upper bound)
    member = zlib.compressobj(1, zlib.DEFLATED, 31, 1)
    return member.compress(text.encode() + b"\n") + member.flush()


def _store() -> tuple[int, float]:
    """Write the events; their objects' total compressed bytes and the seconds it took."""
    from shared.config import settings
    from shared.storage.base import utcnow
    from shared.storage.objects import s3

    started = time.perf_counter()
    client, bucket = s3(), settings().events_bucket
    client.create_bucket(Bucket=bucket)
    now = utcnow()
    objects = EVENTS // PER_OBJECT
    total = 0
    for index in range(objects):
        kept = now - timedelta(hours=DAYS * 24 * (objects - index) / objects)
        when = kept.strftime("%Y-%m-%dT%H:%M:%SZ")
        first = index * PER_OBJECT
        body = b"".join(_line(number, when) for number in range(first, first + PER_OBJECT))
        client.put_object(Bucket=bucket, Key=f"events/{kept:%Y/%m/%d/%H}/{index:08x}.ndjson.gz", Body=body)
        total += len(body)
    return total, time.perf_counter() - started


def _timed(query: str) -> tuple[float, dict[int, int]]:
    from shared.search.engine import matching_groups
    from shared.search.event_sql import event_filter

    started = time.perf_counter()
    groups = matching_groups(event_filter(query), [PROJECT_ID])
    return time.perf_counter() - started, groups


def _environment_stats(groups: int) -> float:
    """Seconds of one ``group_stats`` query over ``groups`` issues in ``production`` (a 24 h period,
    the hours of a list's 24 h series)."""
    from shared.search.engine import group_stats
    from shared.storage.base import utcnow

    now = utcnow()
    started = time.perf_counter()
    ids = [1_000 + n for n in range(groups)]
    rows = group_stats(ids, [PROJECT_ID], ["production"], now - timedelta(days=1), now - timedelta(days=2))
    assert sum(1 for row in rows if row[2]) == groups  # each issue's total row
    return time.perf_counter() - started


def _athena_dollars(scanned: int) -> float:
    return max(scanned, ATHENA_MINIMUM_BYTES) / 1024**4 * ATHENA_DOLLARS_PER_TB


def main() -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "ATHENA_WORKGROUP"):
        os.environ.pop(name, None)
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    from moto import mock_aws

    with mock_aws():
        scanned, write_seconds = _store()
        first_seconds, _ = _timed(QUERIES["tag"])
        figures: dict[str, object] = {}
        for name, query in QUERIES.items():
            runs = [_timed(query) for _ in range(REPEATS)]
            groups = runs[-1][1]
            figures[name] = {
                "query": query,
                "p50_seconds": round(statistics.median(seconds for seconds, _ in runs), 3),
                "issues_found": len(groups),
                "events_found": sum(groups.values()),  # 20 customers' and 5 users' events are there
            }
        for name, size in (("environment_page_25_issues", 25), ("environment_sort_1000_issues", 1_000)):
            seconds = [_environment_stats(size) for _ in range(REPEATS)]
            figures[name] = {"p50_seconds": round(statistics.median(seconds), 3)}
    per_query = _athena_dollars(scanned)
    result = {
        "events": EVENTS,
        "objects": EVENTS // PER_OBJECT,
        "compressed_bytes_per_event": round(scanned / EVENTS, 1),
        "write_seconds": round(write_seconds, 1),
        "local_duckdb": {"first_search_seconds": round(first_seconds, 2), **figures},
        "aws_athena_estimate": {
            "bytes_scanned_per_query": scanned,
            "dollars_per_query": round(per_query, 5),
            "dollars_per_query_one_day_period": round(_athena_dollars(scanned // DAYS), 5),
            "note": "a period prunes by the hour objects were kept; the whole 10-day store is read otherwise",
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
