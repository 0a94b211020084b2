"""The event search engine: the SQL it sends to Athena (moto records the query, it runs none), and
DuckDB running the same SQL over event-store objects in S3 (moto's, in the process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
import requests
from moto import mock_aws
from moto.athena.models import athena_backends

from shared.config import settings
from shared.errors import ApiError
from shared.events.objects import new_object_key, put_documents
from shared.search import duckdb_engine
from shared.search.engine import matching_events, matching_groups
from shared.search.event_sql import event_filter
from shared.search.grammar import InvalidSearchQuery
from shared.serializers.dates import format_datetime
from shared.storage.base import utcnow
from shared.storage.dynamodb import connection
from shared.storage.objects import s3

SINCE = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name, value in {
        "EVENT_SEARCH_COPIES_DIR": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "EVENTS_BUCKET": f"events-{id(monkeypatch)}",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "ATHENA_WORKGROUP", "ATHENA_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    settings.cache_clear()
    connection.cache_clear()  # the process's session is built anew, inside moto, without endpoints
    with mock_aws():
        s3().create_bucket(Bucket=settings().events_bucket)
        yield
    settings.cache_clear()
    connection.cache_clear()


@pytest.fixture
def athena(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ATHENA_WORKGROUP", "search")
    monkeypatch.setenv("ATHENA_DATABASE", "watchtower_search")
    settings.cache_clear()
    boto3.client("athena").create_work_group(
        Name="search", Configuration={"ResultConfiguration": {"OutputLocation": "s3://results/"}}
    )
    yield


def _sent() -> list[tuple[str, str, str]]:
    backend = athena_backends["123456789012"]["us-east-1"]
    return [(e.query, e.context["Database"], e.workgroup.name) for e in backend.executions.values()]


def test_athena_gets_the_sql_and_its_rows_are_read(athena: None) -> None:
    requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
        json={
            "account_id": "123456789012",
            "region": "us-east-1",
            "results": [
                {
                    "rows": [
                        {"Data": [{"VarCharValue": "group_id"}, {"VarCharValue": "events"}]},
                        {"Data": [{"VarCharValue": "42"}, {"VarCharValue": "3"}]},
                    ],
                    "column_info": [],
                }
            ],
        },
        timeout=5,
    )
    found = event_filter('customer:c1* !user.email:"o\'brien@example.com" has:flavor crash')
    assert matching_groups(found, [7, 3], SINCE) == {42: 3}
    [(sql, database, workgroup)] = _sent()
    assert (database, workgroup) == ("watchtower_search", "search")
    assert sql == (
        "SELECT group_id, count(DISTINCT event_id) AS events FROM events "
        "WHERE hour >= '2026/12/01/00' AND project_id IN (3, 7) AND \"timestamp\" >= '2026-12-01T00:00:00Z' "
        "AND (coalesce(element_at(tags, 'customer'), '') LIKE 'c1%' ESCAPE '\\') "
        "AND (NOT (coalesce(\"user\".email, '') = 'o''brien@example.com')) "
        "AND (coalesce(element_at(tags, 'flavor'), '') <> '') "
        "AND (strpos(lower(coalesce(title, '') || ' ' || coalesce(message, '')), 'crash') > 0) "
        "GROUP BY group_id"
    )


def test_athena_failing_answers_503(athena: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.athena.models import Execution

    monkeypatch.setattr(Execution, "status", "FAILED", raising=False)
    with pytest.raises(ApiError) as refused:
        matching_groups(event_filter("customer:c1"), [1], SINCE)
    assert (refused.value.status_code, refused.value.body()) == (
        503,
        {"detail": "The event search is busy; retry later"},
    )
    assert refused.value.headers() == {"Retry-After": "5"}


def _document(number: int, group_id: int, **extra: object) -> dict[str, object]:
    return {
        "event_id": f"{number:032x}",
        "project_id": 1,
        "group_id": group_id,
        "timestamp": "2026-12-05T01:00:00Z",
        "title": f"Boom {number}",
        "message": "",
        "tags": {"customer": f"c{number}", "level": "error"},
        "user": {"email": f"u{number}@example.com"},
        "data": {"ignored": True},
        **extra,
    }


def test_duckdb_reads_the_objects_of_the_period_each_event_once(aws: None) -> None:
    documents = [_document(n, 10 + n % 3) for n in range(30)]
    put_documents("events/2026/12/05/01/first.ndjson.gz", documents)
    put_documents("events/2026/12/05/02/again.ndjson.gz", documents[:3])  # kept twice
    put_documents("events/2026/11/01/00/old.ndjson.gz", [_document(99, 10)])  # before the period
    put_documents("events/2026/12/05/03/other.ndjson.gz", [{**_document(98, 77), "project_id": 2}])

    assert matching_groups(event_filter("customer:c1*"), [1], SINCE) == {10: 3, 11: 5, 12: 3}
    assert matching_groups(event_filter("customer:c0"), [1], SINCE) == {10: 1}
    # kept in November: outside a period from December 1, whatever its timestamp says
    assert matching_groups(event_filter("customer:c99"), [1], SINCE) == {}
    assert matching_groups(event_filter("customer:c99"), [1], datetime(2026, 10, 1, tzinfo=UTC)) == {10: 1}
    assert matching_groups(event_filter("user.email:u5@example.com"), [1], SINCE) == {12: 1}
    assert matching_groups(event_filter("!has:customer"), [1], SINCE) == {}
    assert matching_groups(event_filter("boom 2"), [1], SINCE) == {10: 3, 11: 3, 12: 5}
    assert matching_groups(event_filter("customer:c98"), [1, 2], SINCE) == {77: 1}
    assert matching_events(event_filter("customer:[c1, c4]"), 1, 11, SINCE) == {f"{1:032x}", f"{4:032x}"}

    # a later search lists the last hours only, and finds a batch kept since
    later = new_object_key(utcnow())
    put_documents(later, [_document(97, 10)])
    assert matching_groups(event_filter("customer:c97"), [1], SINCE) == {10: 1}

    # a period starting earlier than any before lists what no copy covers: objects gone are forgotten
    s3().delete_object(Bucket=settings().events_bucket, Key=later)
    since = datetime(2026, 9, 1, tzinfo=UTC)
    assert matching_groups(event_filter("customer:c97"), [1], since) == {}
    assert matching_groups(event_filter("customer:c1*"), [1], since) == {10: 3, 11: 5, 12: 3}


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("customer:[a, , b]", "Lists should not have empty values"),
        ("customer:\x01", "Invalid character in search value"),
        ("a AND b", 'Boolean statements containing "OR" or "AND" are not supported in this search'),
    ],
)
def test_a_bad_event_query_is_refused_before_any_engine_runs(query: str, detail: str) -> None:
    with pytest.raises(InvalidSearchQuery) as refused:
        event_filter(query)
    assert refused.value.body() == {"detail": detail}


def _kept_at(moment: datetime, name: str, numbers: range, group_id: int) -> str:
    key = f"events/{moment:%Y/%m/%d/%H}/{name}.ndjson.gz"
    when = format_datetime(moment) or ""
    put_documents(key, [_document(n, group_id, timestamp=when) for n in numbers])
    return key


def _copies() -> set[str]:
    """The copies' files in the machine's folder (``EVENT_SEARCH_COPIES_DIR``)."""
    folder = Path(os.environ["EVENT_SEARCH_COPIES_DIR"]) / "v1" / settings().events_bucket
    return {path.name for path in folder.glob("*.parquet")}


def test_a_new_process_reads_the_parquet_copies_and_stays_exact(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    since = now - timedelta(days=10)
    old = _kept_at(now - timedelta(days=3), "old", range(0, 20), 10)
    recent = _kept_at(now - timedelta(hours=3), "recent", range(20, 40), 11)
    current = _kept_at(now, "current", range(40, 60), 12)
    assert matching_groups(event_filter("has:customer"), [1], since) == {10: 20, 11: 20, 12: 20}
    # the complete day and hours are copied as Parquet files, the bucket holds only the events
    copies = _copies()
    assert f"{now - timedelta(days=3):%Y-%m-%d}.parquet" in copies
    assert not any(f"{now:%Y-%m-%d-%H}" in name for name in copies)
    listed = s3().list_objects_v2(Bucket=settings().events_bucket)["Contents"]
    assert {item["Key"] for item in listed} == {old, recent, current}

    read: list[str] = []
    download = duckdb_engine._download
    monkeypatch.setattr(duckdb_engine, "_download", lambda named: read.append(named[0]) or download(named))

    def new_process() -> None:
        duckdb_engine._stores.clear()
        read.clear()

    new_process()
    assert matching_groups(event_filter("has:customer"), [1], since) == {10: 20, 11: 20, 12: 20}
    assert read == [current]  # no JSON object the copies hold
    assert matching_groups(event_filter("customer:c5"), [1], since) == {10: 1}
    assert matching_events(event_filter("user.email:u45@example.com"), 1, None, since) == {f"{45:032x}"}

    # a batch kept since is found by the next search, the copies read once
    later = _kept_at(utcnow(), "later", range(100, 102), 13)
    read.clear()
    assert matching_groups(event_filter("has:customer"), [1], since) == {10: 20, 11: 20, 12: 20, 13: 2}
    assert read == [later]
    # a batch gone is forgotten by a new process, which lists the hours between the copies
    s3().delete_object(Bucket=settings().events_bucket, Key=later)
    between = _kept_at(now - timedelta(days=5), "between", range(200, 203), 14)
    new_process()
    assert matching_groups(event_filter("has:customer"), [1], since) == {10: 20, 11: 20, 12: 20, 14: 3}
    assert read == [between, current]

    # the copies of a store started afresh (their objects not in the bucket) are dropped
    assert f"{now - timedelta(days=3):%Y-%m-%d}.parquet" in _copies()
    for key in (old, recent, current, between):
        s3().delete_object(Bucket=settings().events_bucket, Key=key)
    afresh = _kept_at(now - timedelta(days=1), "afresh", range(300, 304), 15)
    new_process()
    assert matching_groups(event_filter("has:customer"), [1], since) == {15: 4}
    assert read == [afresh]
    assert f"{now - timedelta(days=3):%Y-%m-%d}.parquet" not in _copies()
