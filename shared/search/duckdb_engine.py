"""The event search engine where no Athena work group is configured (``make run``, the tests, the
bench): DuckDB in the process, over the event store's objects in S3 and their columnar copies.

DuckDB's S3 reader (its ``httpfs`` extension) is not bundled with the wheel and cannot be fetched
here, so objects come through boto3 into a temporary folder, and DuckDB reads them into a table
held in memory, only the search's columns. Reading a period's gzip JSON objects is slow (a million
events: a minute and more), so where ``EVENT_SEARCH_COPIES_DIR`` names a folder (``make run``: in
its data folder) the engine keeps Parquet copies of them there (``shared.search.copies``: a few
files a day), shared by the processes of the machine: a new process reads the copies and only the
JSON objects none holds, then writes the copies of the days and hours that became complete. The
copies are the local counterpart of the Parquet table Athena would read on AWS; they are files, not
objects, so the searching functions only read the bucket, as on AWS.

Objects never change once written (each batch has a new name), so each is read once per process,
as a warm Lambda container would keep it, and a later search lists only the last hours; the SQL
then runs over the table, the object's hour standing for Athena's projected partition."""

from __future__ import annotations

import os
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shared.config import settings
from shared.search.copies import (
    EVENTS,
    VERSION,
    chosen,
    copy_key,
    hour_of_object,
    uncovered,
    unit_of,
    units_to_write,
)
from shared.search.event_sql import literal
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
_NAMES = ", ".join(f'"{name}"' for name in COLUMNS)
# The number in a downloaded file's name (its object's place in the list read).
_NUMBER = "'(\\d+)\\.ndjson\\.gz$'"
_READ_THREADS = 8


class _Store:
    """The process's DuckDB database: the copies it reads (files in its folder, queried in place:
    loading a million rows into a table takes seconds, scanning the few columns a query names a
    fraction of one), a table of the rows read from JSON objects no copy holds, the objects gone
    since a copy was written, and the view ``events`` over them all that the SQL runs on (the
    lock: one reader of new objects at a time; DuckDB's connection is not shared)."""

    def __init__(self) -> None:
        try:  # a development dependency (the local system's engine): the Lambda layer leaves it out,
            import duckdb  # and the template names an Athena work group for every function that searches
        except ImportError as missing:
            raise RuntimeError("no event search engine: set ATHENA_WORKGROUP or install duckdb") from missing

        self.lock = threading.Lock()
        self.shared = _copies_folder()
        # the process's own links to the copies it reads (a copy replaced meanwhile stays readable)
        self.folder = tempfile.TemporaryDirectory(prefix=".process-", dir=self.shared)
        self.files = 0  # the files downloaded or written so far (each has a new name)
        self.connection = duckdb.connect()
        self.connection.execute("SET enable_progress_bar = false")
        columns = ", ".join(f'"{name}" {kind}' for name, kind in COLUMNS.items())
        self.connection.execute(f"CREATE TABLE json_events (object VARCHAR, hour VARCHAR, {columns})")
        self.connection.execute("CREATE TABLE gone (object VARCHAR)")
        self.read: set[str] = set()  # the event objects whose rows are in a copy read or the table
        self.copies: set[str] = set()  # the copies known to be in the shared folder (found or written)
        self.used: dict[str, str] = {}  # the copies read: their files
        self.covered_from: str | None = None  # the earliest hour a listing covered
        self.listed_at = utcnow()
        self.view()

    def sync(self, since_hour: str) -> None:
        """Read the objects of the period that are new. The first search, or one whose period
        starts earlier than any before, reads the period's copies and lists the hours none covers
        (and forgets objects read before that are gone from them: a local store started afresh);
        later ones list only from an hour before the last listing, since a batch's object is named
        by the hour it was kept in, which is never an hour older than when its PUT ends."""
        now = utcnow()
        runs: list[tuple[str, str | None]]
        if self.covered_from is None or since_hour < self.covered_from:
            self.covered_from = since_hour
            self.copies |= {path.name for path in self.shared.glob("*.parquet")} if self.shared else set()
            self.load_copies([c for c in chosen(self.copies, since_hour) if c not in self.used])
            runs = uncovered(since_hour, [unit_of(c) for c in self.used], now)
        else:
            runs = [(max(since_hour, f"{self.listed_at - timedelta(hours=1):%Y/%m/%d/%H}"), None)]
        self.listed_at = now
        listed: set[str] = set()
        for first, last in runs:
            listed |= _listed(EVENTS, EVENTS + first, ".ndjson.gz", last and f"{EVENTS}{last}/~")

        def in_runs(key: str) -> bool:
            hour = hour_of_object(key)
            return any(first <= hour and (last is None or hour <= last) for first, last in runs)

        gone = sorted(key for key in self.read if key not in listed and in_runs(key))
        if gone:
            self.connection.execute("DELETE FROM json_events WHERE list_contains(?, object)", [gone])
            self.connection.execute("INSERT INTO gone SELECT unnest(?::VARCHAR[])", [gone])
            self.read.difference_update(gone)
        new = sorted(listed - self.read)
        if new:
            self.load(new)
        self.write_copies(now)

    def file(self, suffix: str) -> str:
        self.files += 1
        return str(Path(self.folder.name) / f"{self.files}.{suffix}")

    def load(self, keys: list[str]) -> None:
        """Read JSON objects ``keys`` into the table: downloaded side by side, then one scan."""
        with tempfile.TemporaryDirectory(prefix="event-search-") as folder:
            paths = _downloaded([(key, str(Path(folder) / f"{n}.ndjson.gz")) for n, key in enumerate(keys)])
            if paths:
                types = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items()) + "}"
                # each file's number names its object: the object's name and its hour come from it
                self.connection.execute(
                    f"INSERT INTO json_events SELECT object, substr(object, {len(EVENTS) + 1}, 13), {_NAMES} "
                    f"FROM (SELECT (?)[CAST(regexp_extract(filename, {_NUMBER}, 1) AS INTEGER) + 1]"
                    f" AS object, * FROM read_json(?, columns = {types}, format = 'newline_delimited', "
                    "compression = 'gzip', filename = true))",
                    [keys, paths],
                )
        self.read.update(keys)

    def load_copies(self, copies: list[str]) -> None:
        """Query copies from now on, through links in the process's folder. A copy gone meanwhile
        is skipped, and all are when the newest object they hold is not in the bucket (the local
        store was started afresh: one HEAD tells): their objects are then read from their JSON. The
        rows of their objects read from JSON before leave the table, so each counts once."""
        linked = {}
        for copy in copies:
            path = self.file("parquet")
            try:
                os.link(self.shared / copy, path)  # type: ignore[operator]
            except FileNotFoundError:
                continue
            linked[path] = copy
        if not linked:
            return
        (newest,) = self.connection.execute(
            "SELECT max(object) FROM read_parquet(?)", [sorted(linked)]
        ).fetchone() or (None,)
        if newest is None or not _exists(newest):  # stale: written anew from the objects' JSON
            for path, stale in linked.items():
                (self.shared / stale).unlink(missing_ok=True)  # type: ignore[operator]
                self.copies.discard(stale)
                Path(path).unlink()
            return
        held = self.connection.execute(
            "SELECT DISTINCT object FROM read_parquet(?)", [sorted(linked)]
        ).fetchall()
        objects = [object for (object,) in held]
        self.connection.execute("DELETE FROM json_events WHERE list_contains(?, object)", [objects])
        self.read.update(objects)
        for path, copy in linked.items():
            self.use(copy, path)
        self.view()

    def use(self, copy: str, path: str) -> None:
        """Query ``copy`` (its file ``path``); a day's copy replaces its hours'."""
        self.used[copy] = path
        if len(unit_of(copy)) == 10:
            for other in [c for c in self.used if c != copy and unit_of(c)[:10] == unit_of(copy)]:
                Path(self.used.pop(other)).unlink()

    def view(self) -> None:
        """``events``: the copies' rows but those of objects gone, and the table's."""
        json_rows = f"SELECT object, hour, {_NAMES} FROM json_events"
        if not self.used:
            self.connection.execute(f"CREATE OR REPLACE VIEW events AS {json_rows}")
            return
        files = ", ".join(literal(path) for path in sorted(self.used.values()))
        self.connection.execute(
            f"CREATE OR REPLACE VIEW events AS SELECT object, hour, {_NAMES} FROM read_parquet([{files}]) "
            f"WHERE object NOT IN (SELECT object FROM gone) UNION ALL {json_rows}"
        )

    def write_copies(self, now: datetime) -> None:
        """Write the copies of the complete days and hours that have none yet (the view holds every
        listed object from ``covered_from`` on); a day's copy replaces its hours'."""
        if self.shared is None:
            return
        hours = {hour_of_object(key) for key in self.read}
        units = units_to_write(hours, self.covered_from or "", now)
        for unit in sorted(unit for unit in units if copy_key(unit) not in self.copies):
            self.write_copy(unit, self.shared)

    def write_copy(self, unit: str, shared: Path) -> None:
        """Write the copy of ``unit`` (whole, then renamed: a reader never sees half a file) and
        query it in place of its rows in the table."""
        path = self.file("parquet")
        self.connection.execute(
            f"COPY (SELECT object, hour, {_NAMES} FROM events WHERE starts_with(hour, ?) "
            "ORDER BY project_id, group_id) TO ? (FORMAT parquet, COMPRESSION zstd)",
            [unit, path],
        )
        written = shared / f".{uuid.uuid4().hex}.parquet"
        os.link(path, written)
        written.replace(shared / copy_key(unit))
        self.copies.add(copy_key(unit))
        self.use(copy_key(unit), path)
        self.connection.execute("DELETE FROM json_events WHERE starts_with(hour, ?)", [unit])
        self.view()
        if len(unit) == 10:  # the day's copy holds its hours': theirs go
            hours = sorted(c for c in self.copies if unit_of(c)[:10] == unit and c != copy_key(unit))
            for hour_copy in hours:
                (shared / hour_copy).unlink(missing_ok=True)
                self.copies.discard(hour_copy)

    def rows(self, sql: str, since_hour: str) -> list[tuple[Any, ...]]:
        with self.lock:
            self.sync(since_hour)
            return self.connection.execute(sql).fetchall()


def _copies_folder() -> Path | None:
    """The machine's folder of copies of this bucket's events, if copies are kept."""
    folder = os.environ.get("EVENT_SEARCH_COPIES_DIR")
    if not folder:
        return None
    shared = Path(folder) / VERSION / settings().events_bucket
    shared.mkdir(parents=True, exist_ok=True)
    return shared


def _exists(key: str) -> bool:
    """Whether the event object ``key`` is in the bucket."""
    client = s3()
    try:
        client.head_object(Bucket=settings().events_bucket, Key=key)
    except client.exceptions.ClientError as missing:
        if missing.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _listed(prefix: str, start: str, suffix: str, stop: str | None = None) -> set[str]:
    """The names of the objects under ``prefix`` after ``start`` and before ``stop`` (the listing
    goes in name order, so it ends at the first page past ``stop``)."""
    listed: set[str] = set()
    # a run between copies is short: small pages, so its listing stops soon past it
    pages = (
        s3()
        .get_paginator("list_objects_v2")
        .paginate(
            Bucket=settings().events_bucket,
            Prefix=prefix,
            StartAfter=start,
            PaginationConfig={"PageSize": 1000 if stop is None else 50},
        )
    )
    for page in pages:
        keys = [item["Key"] for item in page.get("Contents", ())]
        listed.update(key for key in keys if key.endswith(suffix) and (stop is None or key < stop))
        if stop is not None and keys and keys[-1] >= stop:
            break
    return listed


def _downloaded(named: list[tuple[str, str]]) -> list[str]:
    """Copy objects to files (``named``: object, file) side by side; the files of the objects still
    there."""
    with ThreadPoolExecutor(_READ_THREADS) as pool:
        return [path for (_, path), kept in zip(named, pool.map(_download, named), strict=True) if kept]


def _download(named: tuple[str, str]) -> bool:
    """Copy an object to a file; False when it is gone (expired, or a copy replaced meanwhile)."""
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
