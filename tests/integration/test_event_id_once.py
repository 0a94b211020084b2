"""An event id counts once per project, whatever the message that carries it again: an SDK's resend
with a new timestamp, from a skewed clock, with another fingerprint, two such messages at once, the
claiming message redriven from the dead-letter queue. Every test checks the issue's count, its hour,
its users and the issue's event list (the resend is not listed; the first payload is the one kept).

The processor is driven as SQS drives it (``store_batch`` with the events queue's records), and the
edge through real sentry-sdk."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests
import sentry_sdk

from local.faults import disarm, passed, stop_after
from shared.ingest import batch, claims
from shared.ingest.batch import store_batch
from shared.ingest.queue import encode_event
from shared.storage.accounts import Project
from shared.storage.base import utcnow
from shared.storage.group_state import EventClaim
from shared.storage.issues import Group
from tests import conftest
from tests.clients.test_sentry_sdk_ingest import sdk
from tests.conftest import World, events_queue_record
from tests.integration.test_event_batches import _group_of, _hour_users, _hourly, _payload
from tests.integration.test_exactly_once import _record
from tests.integration.test_ingest_api import clear_of_hour_end, project_dsn, project_groups


@pytest.fixture
def faults() -> Iterator[str]:
    try:
        yield conftest.faults_url
    finally:
        disarm(conftest.faults_url)


def _listed(base_url: str, world: World, group: Group) -> list[tuple[str, str]]:
    """The issue's events as its event list answers them: (event id, user id), newest first."""
    answer = requests.get(f"{base_url}/api/0/issues/{group.id}/events/", headers=world.headers(), timeout=30)
    assert answer.status_code == 200, answer.text
    return [(event["eventID"], event["user"]["id"]) for event in answer.json()]


def _counted_once(
    base_url: str, world: World, project: Project, fingerprint: str, first: dict[str, Any]
) -> None:
    """The issue of ``fingerprint`` counts one event, the first payload's, in its count, its hour,
    its users and its event list."""
    group = _group_of(project, fingerprint)
    assert (group.times_seen, _hourly(group).count, _hour_users(group)) == (1, 1, 1)
    issue = requests.get(f"{base_url}/api/0/issues/{group.id}/", headers=world.headers(), timeout=30)
    assert issue.status_code == 200, issue.text
    assert (issue.json()["count"], issue.json()["userCount"]) == ("1", 1)
    assert _listed(base_url, world, group) == [(first["event_id"], first["user"]["id"])]


def _issue_titles(project: Project) -> set[str]:
    return {group.title for group in project_groups(project.id)}


def test_an_sdk_sending_an_event_id_again_with_a_new_timestamp_counts_it_once(
    base_url: str, world: World, project: Project
) -> None:
    """Through the edge: the same id captured again a few seconds later, by another user."""
    clear_of_hour_end(60)
    dsn, _ = project_dsn(base_url, world)
    first = _payload("recaptured", user="u1", timestamp=(utcnow() - timedelta(seconds=5)).isoformat())
    again = {**first, "user": {"id": "u2"}, "timestamp": utcnow().isoformat()}
    with sdk(dsn):
        sentry_sdk.capture_event(dict(first))
    with sdk(dsn):
        sentry_sdk.capture_event(dict(again))
    _counted_once(base_url, world, project, "recaptured", first)


@pytest.mark.parametrize(
    ("sent", "resent"),
    [(timedelta(minutes=5), timedelta(0)), (None, timedelta(0)), (timedelta(minutes=5), None)],
    ids=["clock_fast_then_right", "no_timestamp_then_one", "clock_fast_then_none"],
)
def test_a_resend_whose_claimed_time_changed_counts_once(
    base_url: str,
    world: World,
    project: Project,
    sent: timedelta | None,
    resent: timedelta | None,
) -> None:
    """The first delivery is counted at the time received (a clock 5 minutes fast, or none); the
    resend claims another time, or none (its ledger second differs from the first's)."""
    clear_of_hour_end(60)
    fingerprint = f"skewed-{sent}-{resent}"

    def stamped(offset: timedelta | None, user: str, base: dict[str, Any]) -> dict[str, Any]:
        payload = {**base, "user": {"id": user}}
        payload.pop("timestamp", None)
        if offset is not None:
            payload["timestamp"] = (utcnow() + offset).isoformat()
        return payload

    first = stamped(sent, "u1", _payload(fingerprint))
    assert store_batch([_record(project, first)]) == set()
    again = stamped(resent, "u2", first)
    assert store_batch([_record(project, again, received=utcnow() + timedelta(seconds=3))]) == set()
    _counted_once(base_url, world, project, fingerprint, first)


def test_a_resend_with_another_fingerprint_opens_no_issue(
    base_url: str, world: World, project: Project
) -> None:
    clear_of_hour_end(60)
    first = _payload("fingerprint-a", user="u1", timestamp=utcnow().isoformat())
    record = _record(project, first)
    assert store_batch([record]) == set()
    regrouped = {**_payload("fingerprint-b", user="u2"), "event_id": first["event_id"]}
    # the same id again, later; then in one batch with the first message redelivered
    assert store_batch([_record(project, regrouped)]) == set()
    assert store_batch([_record(project, regrouped), record]) == set()
    assert "fingerprint-b happened" not in _issue_titles(project)
    _counted_once(base_url, world, project, "fingerprint-a", first)


def test_a_resend_in_the_same_batch_as_its_first_message_loses_to_it(
    base_url: str, world: World, project: Project
) -> None:
    """An SDK that sends an id twice within the batching window: both messages reach one batch (here
    the resend listed first); the one received first is counted and kept, whatever the order."""
    clear_of_hour_end(60)
    now = utcnow()
    first = _payload("same-batch", user="u1", timestamp=(now - timedelta(seconds=5)).isoformat())
    again = {**first, "user": {"id": "u2"}, "timestamp": (now + timedelta(minutes=5)).isoformat()}
    records = [
        _record(project, again, received=now + timedelta(seconds=1)),
        _record(project, first, received=now),
    ]
    assert store_batch(records) == set()
    _counted_once(base_url, world, project, "same-batch", first)


def test_the_claiming_message_redriven_from_the_dead_letter_queue_counts_once(
    base_url: str, world: World, project: Project
) -> None:
    """A redrive sends the body again as a new message (new id, new enqueue time); the resend that
    came between, with a new timestamp, stays out, before and after."""
    clear_of_hour_end(60)
    first = _payload("redriven", user="u1", timestamp=(utcnow() - timedelta(seconds=4)).isoformat())
    record = _record(project, first)
    assert store_batch([record]) == set()
    resend = _record(project, {**first, "user": {"id": "u2"}, "timestamp": utcnow().isoformat()})
    assert store_batch([resend]) == set()
    redriven = events_queue_record(record["body"])
    assert redriven["messageId"] != record["messageId"]
    for records in ([redriven], [resend, events_queue_record(record["body"])]):
        assert store_batch(records) == set()
    _counted_once(base_url, world, project, "redriven", first)


def test_a_message_that_claimed_an_id_and_failed_keeps_it_from_a_resend(
    base_url: str, world: World, project: Project, faults: str
) -> None:
    """Its ledger read refused after the claim: the record fails, SQS keeps the message. A resend
    that arrives meanwhile is dropped (the id is the first message's, as in Sentry's cache); the
    first message's redelivery, or its redrive from the dead-letter queue, counts it once."""
    clear_of_hour_end(60)
    first = _payload("claimed first", user="u1", timestamp=(utcnow() - timedelta(seconds=4)).isoformat())
    record = _record(project, first)
    stop_after(faults, 0, operations=["Query"])  # the ledger's first read
    assert store_batch([record]) == {record["messageId"]}
    disarm(faults)
    assert "claimed first happened" not in _issue_titles(project)
    resend = _record(project, {**first, "user": {"id": "u2"}, "timestamp": utcnow().isoformat()})
    assert store_batch([resend]) == set()  # done: not retried
    assert "claimed first happened" not in _issue_titles(project)
    assert store_batch([events_queue_record(record["body"])]) == set()
    assert store_batch([record, resend]) == set()
    _counted_once(base_url, world, project, "claimed first", first)


def test_two_messages_of_one_id_at_once_count_it_once(
    base_url: str, world: World, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both claims are held until both are in flight; exactly one wins, whichever it is."""
    clear_of_hour_end(60)
    first = _payload("racing-a", user="u1", timestamp=(utcnow() - timedelta(seconds=3)).isoformat())
    second = {
        **_payload("racing-b", user="u2", timestamp=utcnow().isoformat()),
        "event_id": first["event_id"],
    }
    records = [_record(project, first), _record(project, second, received=utcnow() + timedelta(seconds=1))]
    barrier = threading.Barrier(len(records), timeout=30)
    claim = claims._claim

    def together(*args: Any) -> bool | Exception:
        barrier.wait()
        return claim(*args)

    monkeypatch.setattr(claims, "_claim", together)
    with ThreadPoolExecutor(len(records)) as pool:
        assert list(pool.map(lambda r: store_batch([r]), records)) == [set(), set()]
    titles = _issue_titles(project) & {"racing-a happened", "racing-b happened"}
    assert len(titles) == 1
    [winner] = [p for p in (first, second) if f"{p['fingerprint'][0]} happened" in titles]
    holder = EventClaim.get(*EventClaim.key(project.id, first["event_id"]), consistent_read=True)
    assert holder.expires_at is not None and holder.expires_at > utcnow() + timedelta(days=28)
    _counted_once(base_url, world, project, winner["fingerprint"][0], winner)


def test_a_failed_claim_fails_its_record_and_the_redelivery_counts_once(
    base_url: str, world: World, project: Project, faults: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claims of a batch of two, the second refused (a fault that outlasted its retries): only
    its record fails; SQS delivers it again, and it counts once, as does a resend of either."""
    clear_of_hour_end(60)
    stamp = utcnow().isoformat()
    payloads = [_payload("claim fault", user=f"u{i}", timestamp=stamp) for i in (1, 2)]
    records = [_record(project, p) for p in payloads]
    claim_all = batch.claim_all
    counted: list[int] = []

    def then_healed(*args: Any) -> Any:
        try:
            return claim_all(*args)
        finally:
            counted.append(passed(faults))
            disarm(faults)

    monkeypatch.setattr(batch, "claim_all", then_healed)
    stop_after(faults, 1, operations=["PutItem"])  # one claim passes, the other is refused
    failed = store_batch(records)
    assert counted == [1]
    assert len(failed) == 1
    group = _group_of(project, "claim fault")
    assert (group.times_seen, _hourly(group).count, _hour_users(group)) == (1, 1, 1)
    [retried] = [r for r in records if r["messageId"] in failed]
    assert store_batch([retried]) == set()
    assert store_batch([_record(project, p) for p in payloads]) == set()  # resends: dropped
    group = _group_of(project, "claim fault")
    assert (group.times_seen, _hourly(group).count, _hour_users(group)) == (2, 2, 2)
    listed = _listed(base_url, world, group)
    assert sorted(listed) == sorted((p["event_id"], p["user"]["id"]) for p in payloads)


def test_a_message_body_names_its_receipt_to_the_microsecond(project: Project) -> None:
    """The claim's identity survives the queue: two receipts a microsecond apart are two messages."""
    now = utcnow()
    payload = _payload("receipt")
    bodies = [
        encode_event(project.id, project.org_id, now + timedelta(microseconds=i), payload) for i in (0, 1)
    ]
    assert store_batch([events_queue_record(bodies[0])]) == set()
    assert store_batch([events_queue_record(bodies[1])]) == set()
    assert store_batch([events_queue_record(bodies[0])]) == set()
    holder = EventClaim.get(*EventClaim.key(project.id, payload["event_id"]), consistent_read=True)
    assert holder.receipt == claims.Claim(project.id, payload["event_id"], now).receipt
    assert _group_of(project, "receipt").times_seen == 1
