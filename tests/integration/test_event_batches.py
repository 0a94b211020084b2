"""The event processor as SQS drives it: batches of queued events handed to its function, as the
events queue's event source mapping hands them over. Per issue one write however many events a
batch holds, one group however many batches race to create it, nothing counted twice when a batch
or some of its events come again, and only the failed records reported back."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest

from local.lambda_pool import InvocationFailed, LocalLambda
from local.metering import count_requests
from shared.events.index import walk_group
from shared.ingest import ledger, pipeline
from shared.ingest.batch import store_batch
from shared.ingest.event import normalize_event
from shared.ingest.grouping import event_hash
from shared.ingest.queue import decode_event, encode_event
from shared.issues.enums import ActivityType, GroupStatus
from shared.issues.events.counts import events_since, hourly_counts, recent_counts, users_since
from shared.storage.accounts import Project
from shared.storage.base import utcnow
from shared.storage.group_state import (
    CountedEvents,
    GroupHash,
    GroupHashRef,
    GroupHourlyCount,
    GroupLatestEvent,
    hour_bucket,
)
from shared.storage.issues import Activity, Group
from tests.conftest import events_queue_record
from tests.integration.deletion_support import row_exists
from tests.integration.test_ingest_api import clear_of_hour_end, group_rows, project_groups, stored_group

PROCESSOR = "EventProcessorFunction"


def _payload(fingerprint: str, user: str | None = None, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "message": f"{fingerprint} happened",
        "fingerprint": [fingerprint],
        **fields,
    }
    if user:
        payload["user"] = {"id": user}
    return payload


def _record(project: Project, payload: dict[str, Any]) -> dict[str, Any]:
    """An SQS record as Lambda receives it, of a message the edge would have sent."""
    return events_queue_record(encode_event(project.id, project.org_id, utcnow(), payload))


def _deliver(local_lambda: LocalLambda, records: list[dict[str, Any]]) -> list[str]:
    """Invoke the processor with one batch; the message ids it reports failed."""
    result = local_lambda.invoke(PROCESSOR, {"Records": records}) or {}
    return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def _group_of(project: Project, fingerprint: str) -> Group:
    [group] = [g for g in project_groups(project.id) if g.title == f"{fingerprint} happened"]
    return stored_group(group)


def _hourly(group: Group) -> GroupHourlyCount:
    """The group's count of this hour, as every reader sees it (the group item's current hour
    included)."""
    now = utcnow()
    return hourly_counts(group.id, now, now)[hour_bucket(now)]


def _hour_users(group: Group) -> int:
    """Distinct users of the group this hour, from its stored sketches."""
    return users_since(group.id, utcnow())


def test_a_batch_costs_one_write_per_issue(project: Project, local_lambda: LocalLambda) -> None:
    clear_of_hour_end()
    now = utcnow().replace(microsecond=0)
    earlier, second = (now - timedelta(seconds=1)).isoformat(), now.isoformat()
    existing = _record(project, _payload("existing", timestamp=earlier))
    assert _deliver(local_lambda, [existing]) == []
    batch = [_record(project, _payload("storm", user=f"u{i % 3}", timestamp=second)) for i in range(12)]
    batch += [_record(project, _payload("existing", user="u9", timestamp=second)) for _ in range(5)]
    with count_requests() as calls:
        assert _deliver(local_lambda, batch) == []
    storm, other = _group_of(project, "storm"), _group_of(project, "existing")
    assert (storm.times_seen, other.times_seen) == (12, 6)
    assert (_hourly(storm).count, _hour_users(storm)) == (12, 3)
    assert (_hourly(other).count, _hour_users(other)) == (6, 1)
    # the new issue: its creation (with its first event), then its other 11 events; the other: its 5
    # (each with its ledger entry and hourly count in the same transaction: no other UpdateItem)
    assert calls["TransactWriteItems"] == 1 + 1 + 1
    # the new issue's short id reserved (ADD 1); neither index key is a minute old. The group's id
    # comes from the processor environment's block of 20 (shared/issues/groups.py): one ADD more when
    # the environment that takes the batch has no block yet or has used it up.
    assert calls["UpdateItem"] in (1, 1 + 1)
    # the ledger: no read before counting (this delivery claimed every id first: no entry can hold
    # one); the new issue's second read after its creation, and each shard's second after each
    # counting transaction
    assert calls["Query"] == 1 + (1 + 1)
    # both hashes in one consistent BatchGetItem; each group read back, each issue's tag summary
    # (which holds its current hour of users); the project read once for its data scrubbing options
    # (its id pointer, then its item)
    assert calls["BatchGetItem"] == 1
    assert calls["GetItem"] == 2 + 2 + 2
    # each issue's tag summary and users merged once (both bring new users); one follow-up mark for
    # the delivery's ledger entries (the creation's, the new issue's other events', the other's)
    # (the latest event is the event store's newest: no item of its own); each event's id claimed
    assert calls["PutItem"] == 2 + 1 + len(batch)
    entries = [row for row in _ledger_rows(project) if other.id in _groups_of(row)]
    assert sorted(len(row.ids) for row in entries) == [16, 5 * 16]


def _groups_of(entry: CountedEvents) -> set[int]:
    """The groups a ledger entry's events were counted on (its spans: group id, count, ...)."""
    return {int(group_id) for group_id in (entry.spans or [])[::2]}


def _ledger_rows(project: Project) -> list[CountedEvents]:
    """The project's ledger entries, wherever their hash and second."""
    return list(
        CountedEvents.scan(CountedEvents.pk.startswith(f"COUNTED#{project.id}#"), consistent_read=True)
    )


def _stamped(fingerprint: str, count: int, when: datetime | None = None) -> list[dict[str, Any]]:
    """Payloads as an SDK sends them: each with its own id, user and time of capture."""
    stamp = (when or utcnow()).isoformat()
    return [_payload(fingerprint, user=f"u{i}", timestamp=stamp) for i in range(count)]


def test_a_redelivered_batch_counts_nothing_twice(project: Project, local_lambda: LocalLambda) -> None:
    clear_of_hour_end()
    batch = [_record(project, payload) for payload in _stamped("again", 6)]
    assert _deliver(local_lambda, batch) == []
    assert _deliver(local_lambda, batch) == []  # the same batch again (its visibility ran out)
    # the same events again in other batches, with new message ids (an SDK retry through the edge)
    resent = [_record(project, decode_event(r["body"]).payload) for r in batch]
    assert _deliver(local_lambda, [*resent[:2], _record(project, _payload("again"))]) == []
    assert _deliver(local_lambda, resent[2:] + resent[2:]) == []
    group = _group_of(project, "again")
    assert group.times_seen == 7
    assert (_hourly(group).count, _hour_users(group)) == (7, 6)
    assert not any(row.compensated for row in _ledger_rows(project))  # the first read caught them all


def test_events_split_into_other_batches_and_redelivered_count_once(
    project: Project, local_lambda: LocalLambda
) -> None:
    clear_of_hour_end()
    payloads = _stamped("split", 8)
    assert _deliver(local_lambda, [_record(project, p) for p in payloads[:5]]) == []
    # the same events in two other compositions, one with new events, each delivered twice
    first = [_record(project, p) for p in payloads[3:8]]
    second = [_record(project, p) for p in [payloads[0], payloads[6], payloads[2]]]
    for records in (first, second, second, first):
        assert _deliver(local_lambda, records) == []
    group = _group_of(project, "split")
    assert (group.times_seen, _hourly(group).count, _hour_users(group)) == (8, 8, 8)


def _race_first_reads(monkeypatch: pytest.MonkeyPatch, parties: int) -> None:
    """Hold every party after its first reads (the ledger's, a few shards at once, then the hashes')
    until all have made them: deliveries in flight at once, each sure that its events are new."""
    barrier = threading.Barrier(parties, timeout=30)
    held: set[int] = set()
    read = pipeline._get_hashes

    def get_hashes(*args: Any, **kwargs: Any) -> dict[str, GroupHash]:
        found = read(*args, **kwargs)
        if threading.get_ident() not in held:
            held.add(threading.get_ident())
            barrier.wait()
        return found

    monkeypatch.setattr(pipeline, "_get_hashes", get_hashes)


def test_concurrent_deliveries_of_overlapping_events_count_each_once(
    project: Project, local_lambda: LocalLambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_of_hour_end()
    assert _deliver(local_lambda, [_record(project, _payload("overlap"))]) == []  # the issue exists
    # the same messages in several batches at once (SQS delivers a message again while the first
    # delivery is still at work, in another composition)
    records = [_record(project, p) for p in _stamped("overlap", 10)]
    compositions = [records[:7], records[3:], records[::2]]  # every event in two of them or more
    _race_first_reads(monkeypatch, len(compositions))
    with ThreadPoolExecutor(len(compositions)) as pool:
        failed = list(pool.map(store_batch, compositions))
    assert failed == [set()] * len(compositions)
    group = _group_of(project, "overlap")
    assert (group.times_seen, _hourly(group).count, _hour_users(group)) == (11, 11, 10)
    # each composition counted its own entry; the later entries took back what the first had
    entries = [row for row in _ledger_rows(project) if len(row.ids) > 16]
    counted = sum(len(row.ids) // 16 for row in entries)
    taken_back = sum(len(row.compensated or ()) for row in entries)
    assert (len(entries), counted - taken_back) == (3, 10)
    # and through the processor's own workers, with no help to make them collide
    records = [_record(project, p) for p in _stamped("overlap", 12)]
    batches = [records[i : i + 6] for i in (0, 3, 6, 0, 6)]
    with ThreadPoolExecutor(len(batches)) as pool:
        assert list(pool.map(lambda b: _deliver(local_lambda, b), batches)) == [[]] * len(batches)
    group = _group_of(project, "overlap")
    assert (group.times_seen, _hourly(group).count) == (23, 23)


def test_a_processor_that_died_before_compensating_is_made_good_by_the_redelivery(
    project: Project, local_lambda: LocalLambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_of_hour_end()
    assert _deliver(local_lambda, [_record(project, _payload("crash"))]) == []  # the issue exists
    records = [_record(project, p) for p in _stamped("crash", 6)]
    batches = [records[:4], records[2:]]  # messages 2 and 3 in both
    _race_first_reads(monkeypatch, len(batches))

    def died(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the processor's environment went away after the commit")

    monkeypatch.setattr(ledger, "settle", died)
    with ThreadPoolExecutor(len(batches)) as pool:
        failed = list(pool.map(store_batch, batches))
    assert failed == [{r["messageId"] for r in batch} for batch in batches]  # both left for SQS
    group = _group_of(project, "crash")
    assert (group.times_seen, _hourly(group).count) == (1 + 8, 1 + 8)  # events 2 and 3 twice
    monkeypatch.undo()
    assert _deliver(local_lambda, batches[1]) == []  # SQS delivers one of them again
    group = _group_of(project, "crash")
    assert (group.times_seen, _hourly(group).count) == (7, 7)
    assert _deliver(local_lambda, batches[0]) == []  # and the other: nothing changes
    group = _group_of(project, "crash")
    assert (group.times_seen, _hourly(group).count) == (7, 7)


def _item_bytes(item: CountedEvents) -> int:
    """An item's size as DynamoDB counts it: names and values (binary raw, numbers as text)."""
    total = 0
    for name, value in item.serialize().items():
        [(kind, data)] = value.items()
        total += len(name) + (len(data) if kind == "B" else len(str(data).encode()))
    return total


def test_ledger_entries_hold_16_bytes_per_event_and_expire(
    project: Project, local_lambda: LocalLambda
) -> None:
    clear_of_hour_end()
    now = utcnow().replace(microsecond=0)
    created = _stamped("bounded", 1, now - timedelta(seconds=2))
    assert _deliver(local_lambda, [_record(project, p) for p in created]) == []  # the issue exists
    payloads = _stamped("bounded", 300, now) + _stamped("bounded", 100, now - timedelta(seconds=1))
    assert _deliver(local_lambda, [_record(project, p) for p in payloads]) == []
    entries = sorted(_ledger_rows(project), key=lambda row: row.pk)
    # one per counted aggregate and second of its events' time
    assert [len(row.ids) for row in entries] == [16, 100 * 16, 300 * 16]
    for entry in entries:
        assert _item_bytes(entry) < len(entry.ids) + 200  # the ids and a few short attributes
        assert now + timedelta(days=28) < entry.expires_at < utcnow() + timedelta(days=30)
    assert _group_of(project, "bounded").times_seen == 401


def test_racing_batches_create_one_group(project: Project, local_lambda: LocalLambda) -> None:
    clear_of_hour_end()
    batches = [[_record(project, _payload("race")) for _ in range(5)] for _ in range(4)]
    with ThreadPoolExecutor(len(batches)) as pool:
        assert list(pool.map(lambda b: _deliver(local_lambda, b), batches)) == [[]] * len(batches)
    [group] = project_groups(project.id)
    assert stored_group(group).times_seen == 20 and _hourly(group).count == 20
    [ref] = group_rows(group)[GroupHashRef]
    assert GroupHash.get(*GroupHash.key(project.id, ref.hash)).group_id == group.id


def _short_ids(project: Project) -> dict[str, int]:
    """Title → short id of every group of the project."""
    return {str(group.title): group.short_id for group in project_groups(project.id)}


def test_racing_batches_create_each_new_issue_once_with_distinct_short_ids(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_of_hour_end()
    shared_names = [f"burst-{i}" for i in range(12)]
    # four batches of the same twelve new issues (each its own events, in its own order) and two
    # issues of their own; all read the ledger and the hashes before any of them creates a group
    batches = [
        [_record(project, _payload(name, user=f"u{b}")) for name in shared_names[b::1] + shared_names[:b]]
        + [_record(project, _payload(f"own-{b}-{i}")) for i in range(2)]
        for b in range(4)
    ]
    _race_first_reads(monkeypatch, len(batches))
    with count_requests() as calls, ThreadPoolExecutor(len(batches)) as pool:
        assert list(pool.map(store_batch, batches)) == [set()] * len(batches)
    short_ids = _short_ids(project)
    assert len(short_ids) == 12 + 4 * 2  # one group per issue, however many batches raced
    assert len(set(short_ids.values())) == len(short_ids)  # each its own short id
    for name in shared_names:
        group = _group_of(project, name)
        assert (group.times_seen, _hourly(group).count, _hour_users(group)) == (4, 4, 4)
        [ref] = group_rows(group)[GroupHashRef]
        assert GroupHash.get(*GroupHash.key(project.id, ref.hash)).group_id == group.id
        assert next(walk_group(group.id), None) is not None  # its events kept
    # each batch reserved its short ids with one counter update (numbers lost to a racing batch
    # stay unused, as in Sentry's counter), not one transaction per number
    assert calls["UpdateItem"] <= 4 * 2  # per batch: its short ids, and at most a block of group ids


def test_a_redelivered_batch_of_new_issues_creates_nothing_twice(
    project: Project, local_lambda: LocalLambda
) -> None:
    clear_of_hour_end()
    batch = [_record(project, _payload(f"again-new-{i}", user=f"u{i}")) for i in range(10)]
    assert _deliver(local_lambda, batch) == []
    first = _short_ids(project)
    assert len(first) == 10 and len(set(first.values())) == 10
    # delivered again (its visibility ran out), then twice at once
    assert _deliver(local_lambda, batch) == []
    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(lambda b: _deliver(local_lambda, b), [batch, batch])) == [[], []]
    assert _short_ids(project) == first  # no group created again, no short id moved
    for i in range(10):
        group = _group_of(project, f"again-new-{i}")
        assert (group.times_seen, _hourly(group).count, _hour_users(group)) == (1, 1, 1)


def test_only_the_failed_records_are_reported(project: Project, local_lambda: LocalLambda) -> None:
    good = _record(project, _payload("fine"))
    broken = {**_record(project, _payload("fine")), "body": "not a queued event"}
    assert _deliver(local_lambda, [good, broken]) == [broken["messageId"]]
    assert _group_of(project, "fine").times_seen == 1
    with pytest.raises(InvocationFailed):  # nothing stored: the whole batch fails, SQS retries it
        _deliver(local_lambda, [broken])


def test_a_batch_regresses_on_the_first_event_outside_the_resolution(
    project: Project, local_lambda: LocalLambda
) -> None:
    assert _deliver(local_lambda, [_record(project, _payload("fixed"))]) == []
    group = _group_of(project, "fixed")
    group.update(actions=group.status_actions(GroupStatus.RESOLVED, None))
    batch = [_record(project, _payload("fixed")) for _ in range(4)]
    assert _deliver(local_lambda, batch) == []
    back = stored_group(group)
    assert (back.status, back.times_seen) == (GroupStatus.UNRESOLVED, 5)
    [activity] = group_rows(group)[Activity]
    assert activity.type == ActivityType.SET_REGRESSION
    assert activity.data.as_dict()["event_id"] == decode_event(batch[0]["body"]).payload["event_id"]


def test_a_batch_of_many_transactions_counts_every_event(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction holds whole seconds of events (one ledger entry each, with their hour's count):
    once the newest has renamed the issue, the older ones only add to it (none is refused for not
    being newer, none gives up)."""
    clear_of_hour_end()
    monkeypatch.setenv("DYNAMODB_MAX_TRANSACTION_ITEMS", "3")  # the group, one entry, one hour
    now = utcnow().replace(microsecond=0)
    payloads = [
        _payload("seconds", user=f"u{i}", timestamp=(now - timedelta(seconds=i % 5)).isoformat())
        for i in range(20)
    ]
    records = [_record(project, payload) for payload in payloads]
    with count_requests() as calls:
        assert store_batch(records) == set()
    assert calls["TransactWriteItems"] == 1 + 5  # the creation (first event), then one per second
    group = _group_of(project, "seconds")
    assert group.times_seen == 20 and group.last_seen == now
    assert (_hourly(group).count, _hour_users(group)) == (20, 20)
    assert len(_ledger_rows(project)) == 1 + 5
    assert store_batch(records) == set()  # and again: nothing counted twice
    assert _group_of(project, "seconds").times_seen == 20


def test_the_latest_event_is_the_newest_kept_with_no_write_of_its_own(
    project: Project, local_lambda: LocalLambda
) -> None:
    """The issue's latest event is the newest the event store keeps, whatever the order batches
    come in: no batch writes a latest-event item."""
    start = utcnow().replace(microsecond=0) - timedelta(seconds=5)
    assert _deliver(local_lambda, [_record(project, _payload("page", timestamp=start.isoformat()))]) == []

    def batch(at: datetime) -> tuple[list[dict[str, Any]], str]:
        payloads = [
            _payload("page", timestamp=(at + timedelta(milliseconds=ms)).isoformat()) for ms in (100, 300)
        ]
        return [_record(project, p) for p in payloads], payloads[-1]["event_id"]

    first, first_newest = batch(start + timedelta(seconds=2))
    older, _ = batch(start + timedelta(seconds=1, milliseconds=500))
    later, later_newest = batch(start + timedelta(seconds=3))
    group = _group_of(project, "page")
    for records, shown in ((first, first_newest), (older, first_newest), (later, later_newest)):
        with count_requests() as calls:
            assert _deliver(local_lambda, records) == []
        assert next(walk_group(group.id)).event_id == shown
        assert not row_exists(GroupLatestEvent.key(group.id))
        # the follow-up mark of the batch's ledger entry and the issue's tag summary, and each
        # event's id claimed, nothing more
        assert calls["PutItem"] == 1 + 1 + len(records)
    assert _group_of(project, "page").times_seen == 7


def test_a_second_of_many_events_is_split_into_entries_under_16_kb(
    project: Project, local_lambda: LocalLambda
) -> None:
    clear_of_hour_end()
    now = utcnow().replace(microsecond=0)
    payloads = _stamped("crowded", 2100, now)
    assert _deliver(local_lambda, [_record(project, p) for p in payloads]) == []
    entries = [row for row in _ledger_rows(project) if _group_of(project, "crowded").id in _groups_of(row)]
    # the first event's entry is written by the group's creation, the other 2,099 in 1,000s
    assert sorted(len(row.ids) // 16 for row in entries) == [1, 99, 1000, 1000]
    assert all(_item_bytes(row) < 16 * 1024 for row in entries)
    assert (
        len(
            set().union(
                *({bytes(row.ids)[i : i + 16] for i in range(0, len(row.ids), 16)} for row in entries)
            )
        )
        == 2100
    )
    assert _group_of(project, "crowded").times_seen == 2100
    # delivered again, nothing counts twice
    assert _deliver(local_lambda, [_record(project, p) for p in payloads[::3]]) == []
    assert _group_of(project, "crowded").times_seen == 2100


def _at(fingerprint: str, when: datetime, count: int) -> list[dict[str, Any]]:
    return [
        _payload(fingerprint, user=f"u{uuid.uuid4().hex[:6]}", timestamp=when.isoformat())
        for _ in range(count)
    ]


def test_the_newest_hour_is_counted_on_the_group_and_moves_to_its_row_once(
    project: Project, local_lambda: LocalLambda
) -> None:
    """A group counts its newest hour on its own item (no hour row per batch); a batch of a later
    hour moves that count to the hour's row (marked flushed) and starts the new hour; late events
    go to their hour's row; every reader sees the sum."""
    clear_of_hour_end()
    now = utcnow().replace(microsecond=0)
    earlier = now - timedelta(hours=1)
    this_hour, last_hour = hour_bucket(now), hour_bucket(earlier)
    records = [_record(project, p) for p in _at("hours", earlier, 3)]
    assert _deliver(local_lambda, records) == []
    group = _group_of(project, "hours")
    assert (group.current_hour, group.current_hour_count) == (last_hour, 3)
    assert group_rows(group)[GroupHourlyCount] == []  # nothing on an hour row yet
    assert hourly_counts(group.id, earlier)[last_hour].count == 3

    records = [_record(project, p) for p in _at("hours", earlier, 2) + _at("hours", now, 4)]
    with count_requests() as calls:
        assert _deliver(local_lambda, records) == []
    # the transaction that assumed this hour was refused; the group read; the hour moved on
    assert calls["TransactWriteItems"] == 2
    group = _group_of(project, "hours")
    assert (group.times_seen, group.current_hour, group.current_hour_count) == (9, this_hour, 4)
    [row] = group_rows(group)[GroupHourlyCount]
    assert (row.hour, row.count, row.flushed) == (last_hour, 5, True)

    records = [_record(project, p) for p in _at("hours", earlier, 2)]  # late events
    assert _deliver(local_lambda, records) == []
    group = _group_of(project, "hours")
    assert (group.times_seen, group.current_hour, group.current_hour_count) == (11, this_hour, 4)
    counts = hourly_counts(group.id, earlier)
    assert {hour: row.count for hour, row in counts.items()} == {last_hour: 7, this_hour: 4}
    assert events_since(group.id, earlier) == 11
    assert [count for _, count in recent_counts(group).last_24h[-2:]] == [7, 4]


def test_racing_batches_move_the_hour_on_exactly_once(project: Project, local_lambda: LocalLambda) -> None:
    """Concurrent batches that all bring a later hour: one moves the group's count to its row, the
    others add to the new hour; nothing is lost or counted twice."""
    clear_of_hour_end()
    now = utcnow().replace(microsecond=0)
    two_hours_ago, an_hour_ago = now - timedelta(hours=2), now - timedelta(hours=1)
    assert _deliver(local_lambda, [_record(project, p) for p in _at("race-hours", two_hours_ago, 5)]) == []
    batches = [
        [_record(project, p) for p in _at("race-hours", an_hour_ago, 2) + _at("race-hours", now, 3)]
        for _ in range(6)
    ]
    with ThreadPoolExecutor(len(batches)) as pool:
        assert list(pool.map(lambda b: _deliver(local_lambda, b), batches)) == [[]] * len(batches)
    group = _group_of(project, "race-hours")
    assert (group.times_seen, group.current_hour, group.current_hour_count) == (35, hour_bucket(now), 18)
    rows = {row.hour: row for row in group_rows(group)[GroupHourlyCount]}
    assert rows[hour_bucket(two_hours_ago)].count == 5 and rows[hour_bucket(two_hours_ago)].flushed
    assert rows[hour_bucket(an_hour_ago)].count == 12
    counts = hourly_counts(group.id, two_hours_ago)
    assert [counts[hour_bucket(when)].count for when in (two_hours_ago, an_hour_ago, now)] == [5, 12, 18]


def test_a_reader_counts_the_current_hour_once_while_it_moves_on(project: Project) -> None:
    """A reader reads the group before its rows: when the hour moves on in between, the row marked
    flushed already holds the count it read from the group, which is not added again."""
    clear_of_hour_end()
    now = utcnow().replace(microsecond=0)
    earlier = now - timedelta(hours=1)
    assert store_batch([_record(project, p) for p in _at("reader", earlier, 4)]) == set()
    group = _group_of(project, "reader")
    original_query = GroupHourlyCount.query

    def query_after_the_hour_moved_on(*args: Any, **kwargs: Any) -> Any:
        assert store_batch([_record(project, p) for p in _at("reader", now, 1)]) == set()
        return original_query(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(GroupHourlyCount, "query", query_after_the_hour_moved_on)
        counts = hourly_counts(group.id, earlier)
    assert {hour: row.count for hour, row in counts.items()} == {hour_bucket(earlier): 4}
    counts = hourly_counts(group.id, earlier)
    assert {hour: row.count for hour, row in counts.items()} == {hour_bucket(earlier): 4, hour_bucket(now): 1}


def _fingerprints_in_shards(together: int) -> tuple[list[str], str]:
    """``together`` fingerprints whose grouping hashes fall in one ledger shard, and one in another."""
    by_shard: dict[int, list[str]] = {}
    for n in range(1000):
        fingerprint = f"sharded-{uuid.uuid4().hex[:8]}-{n}"
        event = normalize_event(_payload(fingerprint), utcnow())
        by_shard.setdefault(ledger.shard_of(event_hash(event)), []).append(fingerprint)
        crowded = [names for names in by_shard.values() if len(names) >= together]
        if crowded and len(by_shard) > 1:
            other = next(names[0] for names in by_shard.values() if names is not crowded[0])
            return crowded[0][:together], other
    raise AssertionError("no shard of several fingerprints")


def test_issues_of_one_ledger_shard_are_counted_in_one_transaction_with_one_entry(
    project: Project, local_lambda: LocalLambda
) -> None:
    clear_of_hour_end()
    together, apart = _fingerprints_in_shards(3)
    now = utcnow().replace(microsecond=0)
    assert (
        _deliver(local_lambda, [_record(project, p) for f in [*together, apart] for p in _at(f, now, 1)])
        == []
    )
    groups = [_group_of(project, fingerprint) for fingerprint in [*together, apart]]
    payloads = [p for f, n in zip([*together, apart], (2, 3, 4, 5), strict=True) for p in _at(f, now, n)]
    records = [_record(project, p) for p in payloads]
    with count_requests() as calls:
        assert _deliver(local_lambda, records) == []
    # one transaction for the three issues of the shard (their groups and one ledger entry), one for
    # the other; one ledger read of each shard's second after counting (none before: every id is
    # claimed first by this delivery)
    assert (calls["TransactWriteItems"], calls["Query"]) == (2, 2)
    shared = [row for row in _ledger_rows(project) if len(_groups_of(row)) > 1]
    assert [(_groups_of(row), len(row.ids) // 16) for row in shared] == [({g.id for g in groups[:3]}, 9)]
    assert [_group_of(project, f).times_seen for f in [*together, apart]] == [3, 4, 5, 6]
    assert _deliver(local_lambda, records) == []  # again: nothing counted twice
    counted = [_group_of(project, f) for f in [*together, apart]]
    assert [(g.times_seen, _hourly(g).count) for g in counted] == [(3, 3), (4, 4), (5, 5), (6, 6)]


def test_overlapping_deliveries_over_a_shard_take_back_each_issues_duplicates(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent deliveries of overlapping compositions of several issues' events of one shard:
    the later shared entries take each duplicate back from the issue it was counted on."""
    clear_of_hour_end()
    together, _ = _fingerprints_in_shards(3)
    now = utcnow().replace(microsecond=0)
    assert store_batch([_record(project, p) for f in together for p in _at(f, now, 1)]) == set()
    records = [_record(project, p) for f in together for p in _at(f, now, 4)]  # 12, 4 of each issue
    compositions = [records[:8], records[4:], records[::2]]
    _race_first_reads(monkeypatch, len(compositions))
    with ThreadPoolExecutor(len(compositions)) as pool:
        failed = list(pool.map(store_batch, compositions))
    assert failed == [set()] * len(compositions)
    counted = [_group_of(project, f) for f in together]
    assert [(g.times_seen, _hourly(g).count) for g in counted] == [(5, 5)] * 3
    taken_back = sum(len(row.compensated or ()) for row in _ledger_rows(project))
    assert taken_back == (8 + 8 + 6) - 12


def test_the_issues_of_a_shard_move_to_a_new_hour_together(project: Project) -> None:
    """The first shared transaction of a new hour is refused (every group holds the previous hour):
    the groups are read and the next one moves each group's count to its row."""
    clear_of_hour_end()
    together, _ = _fingerprints_in_shards(3)
    now = utcnow().replace(microsecond=0)
    earlier = now - timedelta(hours=1)
    assert store_batch([_record(project, p) for f in together for p in _at(f, earlier, 2)]) == set()
    with count_requests() as calls:
        assert store_batch([_record(project, p) for f in together for p in _at(f, now, 3)]) == set()
    assert calls["TransactWriteItems"] == 2  # refused, then the hours moved on
    for fingerprint in together:
        group = _group_of(project, fingerprint)
        assert (group.times_seen, group.current_hour, group.current_hour_count) == (5, hour_bucket(now), 3)
        [row] = group_rows(group)[GroupHourlyCount]
        assert (row.hour, row.count, row.flushed) == (hour_bucket(earlier), 2, True)


def test_a_shard_transaction_refused_by_groups_on_their_way_out_counts_them_on_their_own(
    project: Project,
) -> None:
    """Three issues of a shard counted together while one is being merged into another of them
    and one is being deleted: the transaction is refused, the groups read, the live one counted
    and the others counted on their own (on the merge's parent, on a new group); nothing is
    counted on the leaving groups, and a redelivery counts nothing twice."""
    clear_of_hour_end()
    (merging, deleting, parent), _ = _fingerprints_in_shards(3)
    now = utcnow().replace(microsecond=0)
    assert (
        store_batch([_record(project, p) for f in (merging, deleting, parent) for p in _at(f, now, 1)])
        == set()
    )
    child, doomed, kept = (_group_of(project, f) for f in (merging, deleting, parent))
    child.update(
        actions=[*child.status_actions(GroupStatus.PENDING_MERGE, None), Group.merged_into.set(kept.id)]
    )
    doomed.update(actions=doomed.status_actions(GroupStatus.PENDING_DELETION, None))
    payloads = _at(merging, now, 2) + _at(deleting, now, 3) + _at(parent, now, 4)
    records = [_record(project, p) for p in payloads]
    with count_requests() as calls:
        assert store_batch(records) == set()
    assert calls["TransactWriteItems"] >= 2  # the shared transaction was refused
    assert (stored_group(child).times_seen, stored_group(doomed).times_seen) == (1, 1)
    assert stored_group(kept).times_seen == 1 + 2 + 4
    deleting_hash = event_hash(normalize_event(_at(deleting, now, 1)[0], now))
    hash_row = GroupHash.get(*GroupHash.key(project.id, deleting_hash), consistent_read=True)
    assert hash_row.group_id not in (child.id, doomed.id, kept.id)
    fresh = Group.get(*Group.key(hash_row.group_id), consistent_read=True)
    assert (fresh.times_seen, fresh.status) == (3, GroupStatus.UNRESOLVED)
    assert store_batch(records) == set()  # again: nothing counted twice
    counted = [Group.get(*Group.key(g.id), consistent_read=True) for g in (child, doomed, kept, fresh)]
    assert [g.times_seen for g in counted] == [1, 1, 7, 3]
    assert [_hourly(g).count for g in counted[2:]] == [7, 3]
