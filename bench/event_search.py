"""The event search engine over 1 million kept events: a tag filter and a user filter, locally (DuckDB
over the event store's objects in S3 and their Parquet copies, ``shared.search.copies``) and
estimated on AWS (Athena's price per byte scanned).

The events are written straight in the store's format (``shared.events.objects``: gzip NDJSON, a
gzip member per line, ``events/<yyyy>/<mm>/<dd>/<hh>/<batch>.ndjson.gz``), ``PER_OBJECT`` to an
object as a processed batch writes them, spread over the last ``DAYS`` days, into a moto server in
its own process (S3 over HTTP, as ``make run``'s). Each is an SDK exception event of about 1.3 KB of
JSON (three frames, contexts, breadcrumbs, request, user and tags), over ``GROUPS`` issues;
``customer`` has 50,000 values and the user 200,000, so a filtered value is far outside any issue's
top ten.

Each search runs in a new Python process (this script with ``--search``), through
``shared.search.engine.matching_groups`` exactly as the issue search calls it: first the search of
a process when no copy exists yet (it reads every JSON object and writes the copies), then, after
one more batch is kept in the current hour, the first search of another new process (``cold``: the
copies and the few JSON objects none holds yet) and the warm searches (median of ``REPEATS``). The
second process must find the new batch's event too. The warm process also times the query an issue
list narrowed by ``environment=`` runs (``shared.search.engine.group_stats``) for a page of 25 issues
(counts, users, hourly stats) and for the 1,000 a ``freq``/``user`` sort orders. On AWS, Athena
reads the JSON objects whole (bytes scanned = their compressed size) or, from the same copies as a
Parquet table, only the columns a query names (their compressed bytes in the copies' footers), at
$5 per TB with a 10 MB minimum per query. The last line is one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

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
# The columns each query reads (Athena reads only these of a Parquet table; ``hour`` would be its
# partition, counted anyway).
READ_COLUMNS = ("hour", "project_id", "timestamp", "group_id", "event_id")
QUERY_COLUMNS = {"tag": ("tags",), "user": ("user.email",)}
ROOT = Path(__file__).resolve().parent.parent

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


def _put(client: Any, bucket: str, key: str, first: int, count: int, when: str) -> int:
    body = b"".join(_line(number, when) for number in range(first, first + count))
    client.put_object(Bucket=bucket, Key=key, Body=body)
    return len(body)


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
        key = f"events/{kept:%Y/%m/%d/%H}/{index:08x}.ndjson.gz"
        total += _put(
            client, bucket, key, index * PER_OBJECT, PER_OBJECT, kept.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    return total, time.perf_counter() - started


def _keep_one_more() -> None:
    """A batch kept now holding one more event of the searched customer (an event number past the
    stored ones whose ``number * 7 % 50_000`` is the customer's)."""
    from shared.config import settings
    from shared.storage.base import utcnow
    from shared.storage.objects import s3

    now = utcnow()
    number = next(n for n in range(EVENTS, EVENTS + 50_000) if n * 7 % 50_000 == 12345)
    key = f"events/{now:%Y/%m/%d/%H}/later.ndjson.gz"
    _put(s3(), settings().events_bucket, key, number, 1, now.strftime("%Y-%m-%dT%H:%M:%SZ"))


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


def search() -> None:
    """In a new process: the first search (its wall time, and the CPU time of all its threads:
    what it would take on an idle machine), then the warm ones; one JSON line."""
    cpu = time.process_time()
    first_seconds, first = _timed(QUERIES["tag"])
    figures: dict[str, object] = {
        "first_search_seconds": round(first_seconds, 2),
        "first_search_cpu_seconds": round(time.process_time() - cpu, 2),
    }
    warm: dict[str, dict[int, int]] = {}
    for name, query in QUERIES.items():
        runs = [_timed(query) for _ in range(REPEATS)]
        groups = warm[name] = runs[-1][1]
        figures[name] = {
            "query": query,
            "p50_seconds": round(statistics.median(seconds for seconds, _ in runs), 3),
            "issues_found": len(groups),
            "events_found": sum(groups.values()),
        }
    figures["first_search_answered_as_warm"] = first == warm["tag"]
    for name, size in (("environment_page_25_issues", 25), ("environment_sort_1000_issues", 1_000)):
        seconds = [_environment_stats(size) for _ in range(REPEATS)]
        figures[name] = {"p50_seconds": round(statistics.median(seconds), 3)}
    print(json.dumps(figures))


def _process(environment: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--search"], env=environment, capture_output=True, text=True, check=True
    )
    return {
        **json.loads(done.stdout.splitlines()[-1]),
        "process_seconds": round(time.perf_counter() - started, 2),
    }


def _copies(folder: Path) -> dict[str, Any]:
    """The copies' count and bytes, and the compressed bytes of the columns each query reads."""
    import duckdb

    paths = [str(path) for path in folder.glob("v1/*/*.parquet") if not path.name.startswith(".")]
    chunks = duckdb.sql(
        "SELECT path_in_schema, sum(total_compressed_size) FROM parquet_metadata(?) GROUP BY ALL",
        params=[paths],
    ).fetchall()

    def read(columns: tuple[str, ...]) -> int:
        dotted = [(path.replace(", ", "."), size) for path, size in chunks]
        return sum(int(size) for path, size in dotted if any(path.startswith(c) for c in columns))

    return {
        "copies": len(paths),
        "bytes": sum(Path(path).stat().st_size for path in paths),
        "bytes_read": {name: read(READ_COLUMNS + columns) for name, columns in QUERY_COLUMNS.items()},
    }


def _athena_dollars(scanned: int) -> float:
    return max(scanned, ATHENA_MINIMUM_BYTES) / 1024**4 * ATHENA_DOLLARS_PER_TB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--search", action="store_true", help="(in a new process) run the searches")
    if parser.parse_args().search:
        search()
        return
    from local.moto_server import start_process

    process, endpoint = start_process()
    folder = tempfile.TemporaryDirectory(prefix="event-search-copies-")
    environment = {
        "EVENT_SEARCH_COPIES_DIR": folder.name,
        **{k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL_DYNAMODB", "ATHENA_WORKGROUP")},
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(environment)
    try:
        scanned, write_seconds = _store()
        without_copies = _process(environment)
        _keep_one_more()
        cold = _process(environment)
        copies = _copies(Path(folder.name))
    finally:
        process.terminate()
        process.wait()
        folder.cleanup()
    found = {name: without_copies[name]["events_found"] for name in QUERIES}
    result = {
        "events": EVENTS,
        "objects": EVENTS // PER_OBJECT,
        "compressed_bytes_per_event": round(scanned / EVENTS, 1),
        "write_seconds": round(write_seconds, 1),
        "local_duckdb": {
            "without_copies": without_copies,
            "cold_with_copies": cold,
            "later_batch_found": cold["tag"]["events_found"] == found["tag"] + 1
            and cold["user"]["events_found"] == found["user"],
        },
        "parquet_copies": copies,
        "aws_athena_estimate": {
            "json_bytes_scanned_per_query": scanned,
            "json_dollars_per_query": round(_athena_dollars(scanned), 5),
            "json_dollars_per_query_one_day_period": round(_athena_dollars(scanned // DAYS), 5),
            "parquet_bytes_scanned_per_query": copies["bytes_read"],
            "parquet_dollars_per_query": {
                name: round(_athena_dollars(size), 6) for name, size in copies["bytes_read"].items()
            },
            "copying_dollars_once_per_million_events": round(scanned / 1024**4 * ATHENA_DOLLARS_PER_TB, 5),
            "note": "a period prunes by the hour objects were kept; the whole 10-day store is read otherwise",
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
