"""The event search engine: Sentry's event-level filters (any tag, ``user.*``, ``has:``, free text)
answered over every kept event, not over an issue's top tag values.

It runs SQL over the event store's own objects (``events/<yyyy>/<mm>/<dd>/<hh>/<batch>.ndjson.gz``,
``shared.events.objects``), reading the few flat columns each document carries for it (``tags``,
``user``, ``project_id``, ``group_id``, ``timestamp``, ``title``, ``message``). On AWS the engine is
Athena (a Glue table over the bucket's ``events/`` prefix, its hour a projected partition, so a
period reads only its hours' objects; billed per byte scanned); locally, and wherever no Athena
work group is configured, it is DuckDB in the process (``shared.search.duckdb_engine``), over the
same objects read from S3 and its Parquet copies of them (``shared.search.copies``). Both get the
same SQL text (``shared.search.event_sql``).

The period prunes by the hour an object was kept: an event kept in an hour never has a timestamp
after that hour's end (Relay clamps future timestamps), so the objects kept before the period's
start hold none of its events."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from shared.config import settings
from shared.errors import ApiError
from shared.search.event_sql import Dialect, EventFilter, literal, tag_column, value_match
from shared.serializers.dates import format_datetime
from shared.storage.base import utcnow

SEARCH_BUSY = "The event search is busy; retry later"
# How long a request waits for Athena before answering 503 (API Gateway gives up at 29 s).
ATHENA_WAIT_SECONDS = 20.0
ATHENA_TABLE = "events"


class SearchUnavailable(ApiError):
    """503 with ``Retry-After``: the engine failed or took too long; nothing changed."""

    status_code = 503
    default_detail = SEARCH_BUSY

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


def hour_of(moment: datetime) -> str:
    """The ``yyyy/mm/dd/hh`` part of the names of objects kept in ``moment``'s hour."""
    return f"{moment:%Y/%m/%d/%H}"


def period_start(since: datetime | None) -> datetime:
    """The start of a search's period: ``since``, or as far back as events are kept."""
    return since or utcnow() - timedelta(days=settings().event_retention_days)


def _scope(project_ids: Sequence[int], since: datetime, group_id: int | None) -> str:
    projects = ", ".join(str(int(p)) for p in sorted(set(project_ids))) or "NULL"
    parts = [
        f"hour >= {literal(hour_of(since))}",
        f"project_id IN ({projects})",
        f'"timestamp" >= {literal(format_datetime(since) or "")}',
    ]
    if group_id is not None:
        parts.append(f"group_id = {int(group_id)}")
    return " AND ".join(parts)


def groups_sql(found: EventFilter, project_ids: Sequence[int], since: datetime, dialect: Dialect) -> str:
    """The groups whose events match, with how many of their events do (an event kept twice once)."""
    return (
        f"SELECT group_id, count(DISTINCT event_id) AS events FROM {ATHENA_TABLE} "
        f"WHERE {_scope(project_ids, since, None)} AND {found.where(dialect)} GROUP BY group_id"
    )


def events_sql(
    found: EventFilter, project_id: int, group_id: int | None, since: datetime, dialect: Dialect
) -> str:
    """The ids of a project's (or one of its groups') matching events."""
    return (
        f"SELECT DISTINCT event_id FROM {ATHENA_TABLE} "
        f"WHERE {_scope([project_id], since, group_id)} AND {found.where(dialect)}"
    )


def matching_groups(
    found: EventFilter, project_ids: Sequence[int], since: datetime | None = None
) -> dict[int, int]:
    """Group id → number of matching events, over the projects' events kept since ``since``."""
    if not project_ids:
        return {}
    start = period_start(since)
    rows = _run(lambda dialect: groups_sql(found, project_ids, start, dialect), start)
    return {int(row[0]): int(row[1]) for row in rows}


def matching_events(
    found: EventFilter, project_id: int, group_id: int | None, since: datetime | None = None
) -> set[str]:
    """The ids of the project's (or the group's) kept events that match."""
    start = period_start(since)
    rows = _run(lambda dialect: events_sql(found, project_id, group_id, start, dialect), start)
    return {str(row[0]) for row in rows}


def _run(sql_for: Any, since: datetime) -> list[tuple[Any, ...]]:
    workgroup = settings().athena_workgroup
    if workgroup:
        return athena_rows(sql_for(Dialect.ATHENA), workgroup)
    from shared.search.duckdb_engine import duckdb_rows

    return duckdb_rows(sql_for(Dialect.DUCKDB), hour_of(since))


def _athena() -> Any:
    from shared.storage.dynamodb import session

    return session().create_client("athena", region_name=settings().region)


def athena_rows(sql: str, workgroup: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` in the work group (its output location and scan limit are the work group's) and
    read every row; 503 when it fails or outlasts ``ATHENA_WAIT_SECONDS``."""
    client = _athena()
    started = client.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": settings().athena_database},
        WorkGroup=workgroup,
    )
    query_id = started["QueryExecutionId"]
    deadline, pause = time.monotonic() + ATHENA_WAIT_SECONDS, 0.1
    while True:
        state = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED") or time.monotonic() > deadline:
            if state not in ("FAILED", "CANCELLED"):
                client.stop_query_execution(QueryExecutionId=query_id)
            raise SearchUnavailable()
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
    rows: list[tuple[Any, ...]] = []
    for page in client.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        rows += [tuple(cell.get("VarCharValue") for cell in row["Data"]) for row in page["ResultSet"]["Rows"]]
    return rows[1:]  # the first row holds the column names


def group_stats_sql(
    group_ids: Sequence[int],
    project_ids: Sequence[int],
    environments: Sequence[str],
    since: datetime,
    period_from: datetime,
    hours_from: datetime,
    dialect: Dialect,
) -> str:
    """Per group, over its events in ``environments`` kept since ``since``: a total row (events and
    distinct users, all and from ``period_from``) and one row per hour from ``hours_from`` (events).
    ``grouping`` tells the rows apart (1: the total row); users are the derived ``user`` tag."""
    groups = ", ".join(str(int(g)) for g in sorted(set(group_ids)))
    user = tag_column("user", dialect)
    period = literal(format_datetime(period_from) or "")
    recent = literal(format_datetime(hours_from) or "")
    hour = f'CASE WHEN "timestamp" >= {recent} THEN substr("timestamp", 1, 13) END'
    return (
        f"SELECT group_id, {hour} AS hour, grouping({hour}) AS total, count(DISTINCT event_id), "
        f'count(DISTINCT CASE WHEN "timestamp" >= {period} THEN event_id END), count(DISTINCT {user}), '
        f'count(DISTINCT CASE WHEN "timestamp" >= {period} THEN {user} END) FROM {ATHENA_TABLE} '
        f"WHERE {_scope(project_ids, since, None)} AND group_id IN ({groups}) "
        f"AND ({value_match(tag_column('environment', dialect), environments)}) "
        f"GROUP BY GROUPING SETS ((group_id), (group_id, {hour}))"
    )


def group_stats(
    group_ids: Sequence[int],
    project_ids: Sequence[int],
    environments: Sequence[str],
    period_from: datetime,
    hours_from: datetime,
) -> list[tuple[int, str | None, bool, int, int, int, int]]:
    """The rows of ``group_stats_sql`` over every kept event (one query): group id, hour (None on
    a total row), whether it is the total row, events, events of the period, users, users of the
    period."""
    if not group_ids or not environments:
        return []
    start = period_start(None)
    rows = _run(
        lambda dialect: group_stats_sql(
            group_ids, project_ids, environments, start, period_from, hours_from, dialect
        ),
        start,
    )
    return [
        (int(g), hour, int(total) == 1, int(events), int(recent), int(users), int(recent_users))
        for g, hour, total, events, recent, users, recent_users in rows
    ]
