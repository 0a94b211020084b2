"""The event search engine where no Athena work group is configured (``make run``, the tests, the
bench): DuckDB in the process, over the event store's objects read from S3.

DuckDB's S3 reader (its ``httpfs`` extension) is not bundled with the wheel and cannot be fetched
here, so the objects come through boto3 (one listing from the period's first hour on, one GET per
object not read before) and DuckDB's JSON reader reads them from a temporary folder, only the
search's columns, into a table held in memory. Objects never change once written (each batch has
a new name), so each is read once per process, as a warm Lambda container would keep it, and a
later search lists only the last hours; the SQL then runs over the table, the object's hour
standing for Athena's projected partition."""

from __future__ import annotations

import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from shared.config import settings
from shared.storage.base import utcnow
from shared.storage.objects import s3

# The kept document's search columns, as DuckDB's JSON reader types them.
COLUMNS = {
    "event_id": "VARCHAR",
    "project_id": "BIGINT",
    "group_id": "BIGINT",
    "timestamp": "VARCHAR",
    "title": "VARCHAR",
    "message": "VARCHAR",
    "tags": "MAP(VARCHAR, VARCHAR)",
    "user": "STRUCT(id VARCHAR, email VARCHAR, username VARCHAR, ip VARCHAR)",
}
PREFIX = "events/"
# The number in a downloaded file's name (its object's place in the list read).
_NUMBER = "'(\\d+)\\.ndjson\\.gz$'"
_READ_THREADS = 8


class _Store:
    """The process's DuckDB database, the table of events read so far and which objects they came
    from (the lock: one reader of new objects at a time; DuckDB's connection is not shared)."""

    def __init__(self) -> None:
        try:  # a development dependency (the local system's engine): the Lambda layer leaves it out,
            import duckdb  # and the template names an Athena work group for every function that searches
        except ImportError as missing:
            raise RuntimeError("no event search engine: set ATHENA_WORKGROUP or install duckdb") from missing

        self.lock = threading.Lock()
        self.connection = duckdb.connect()
        columns = ", ".join(f'"{name}" {kind}' for name, kind in COLUMNS.items())
        self.connection.execute(f"CREATE TABLE events (object VARCHAR, hour VARCHAR, {columns})")
        self.read: set[str] = set()
        self.covered_from: str | None = None  # the earliest hour a listing covered
        self.listed_at = utcnow()

    def sync(self, since_hour: str) -> None:
        """Read the objects of the period that are new to the table. The first search, or one whose
        period starts earlier than any before, lists the whole period (and forgets objects read
        before that are gone: expired, or a local store started afresh); later ones list only from
        an hour before the last listing, since a batch's object is named by the hour it was kept
        in, which is never an hour older than when its PUT ends."""
        now = utcnow()
        if self.covered_from is None or since_hour < self.covered_from:
            start = PREFIX + since_hour
            self.covered_from = since_hour
        else:
            start = PREFIX + max(since_hour, f"{self.listed_at - timedelta(hours=1):%Y/%m/%d/%H}")
        self.listed_at = now
        listed = _listed(start)
        gone = sorted(key for key in self.read if key > start and key not in listed)
        if gone:
            self.connection.execute("DELETE FROM events WHERE list_contains(?, object)", [gone])
            self.read.difference_update(gone)
        new = sorted(listed - self.read)
        if new:
            self.load(new)

    def load(self, keys: list[str]) -> None:
        """Read ``keys`` into the table: downloaded side by side, then one scan of them all."""
        with tempfile.TemporaryDirectory(prefix="event-search-") as folder:
            named = [(key, str(Path(folder) / f"{index}.ndjson.gz")) for index, key in enumerate(keys)]
            with ThreadPoolExecutor(_READ_THREADS) as pool:
                paths = [
                    path for (_, path), kept in zip(named, pool.map(_download, named), strict=True) if kept
                ]
            if paths:
                names = ", ".join(f'"{name}"' for name in COLUMNS)
                types = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items()) + "}"
                # each file's number names its object: the object's name and its hour come from it
                self.connection.execute(
                    f"INSERT INTO events SELECT object, substr(object, {len(PREFIX) + 1}, 13), {names} "
                    f"FROM (SELECT (?)[CAST(regexp_extract(filename, {_NUMBER}, 1) AS INTEGER) + 1]"
                    f" AS object, * FROM read_json(?, columns = {types}, format = 'newline_delimited', "
                    "compression = 'gzip', filename = true))",
                    [keys, paths],
                )
        self.read.update(keys)

    def rows(self, sql: str, since_hour: str) -> list[tuple[Any, ...]]:
        with self.lock:
            self.sync(since_hour)
            return self.connection.execute(sql).fetchall()


def _listed(start: str) -> set[str]:
    """The names of the objects kept from ``start`` on (the listing goes in name order)."""
    listed: set[str] = set()
    pages = (
        s3()
        .get_paginator("list_objects_v2")
        .paginate(Bucket=settings().events_bucket, Prefix=PREFIX, StartAfter=start)
    )
    for page in pages:
        listed.update(item["Key"] for item in page.get("Contents", ()) if item["Key"].endswith(".ndjson.gz"))
    return listed


def _download(named: tuple[str, str]) -> bool:
    """Copy an object to a file; False when it is gone (expired meanwhile)."""
    key, path = named
    client = s3()
    try:
        body = client.get_object(Bucket=settings().events_bucket, Key=key)["Body"].read()
    except client.exceptions.NoSuchKey:
        return False
    Path(path).write_bytes(body)
    return True


_stores: dict[str, _Store] = {}
_stores_lock = threading.Lock()


def duckdb_rows(sql: str, since_hour: str) -> list[tuple[Any, ...]]:
    """The rows ``sql`` answers over the events kept from ``since_hour`` on (a table ``events``)."""
    bucket = settings().events_bucket
    with _stores_lock:
        store = _stores.get(bucket) or _stores.setdefault(bucket, _Store())
    return store.rows(sql, since_hour)
