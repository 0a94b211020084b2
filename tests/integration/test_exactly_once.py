"""Exactly once for everything an event causes, and an event id counted once per project.

The processor is stopped after each of its DynamoDB requests in turn (``local.faults``'s
``stop_after``: every later request is refused, as if its environment had died there), then the
batch is delivered again: the end state is that of a run without the stop — the issue regressed
once, every user counted, the newest event shown, the release's last event moved, nothing done twice.
Then the same event id is sent again with what the edge or the client may change about it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from local.faults import disarm, passed, stop_after
from shared.errors import Conflict
from shared.events.index import walk_group
from shared.ingest import ledger
from shared.ingest.batch import store_batch
from shared.ingest.counting import aftermath
from shared.ingest.queue import encode_event
from shared.issues.enums import (
    ActivityType,
    GroupHistoryStatus,
    GroupInboxReason,
    GroupStatus,
    GroupSubStatus,
)
from shared.issues.status.snooze import new_snooze
from shared.releases.from_events import forget_known
from shared.storage.accounts import Project
from shared.storage.base import utcnow
from shared.storage.group_state import (
    COUNTED_EVENTS_RETENTION_DAYS,
    CountedEvents,
    FollowedBatch,
    FollowedUp,
)
from shared.storage.issues import Activity, GroupHistory, GroupInbox, IssueItem
from shared.storage.releases import Release
from tests import conftest
from tests.conftest import events_queue_record
from tests.integration.test_event_batches import (
    _fingerprints_in_shards,
    _group_of,
    _hour_users,
    _hourly,
    _payload,
)
from tests.integration.test_ingest_api import clear_of_hour_end, group_rows

RELEASE = "backend@2.0.0"


@dataclass(frozen=True)
class Comeback:
    """How an issue is put away, and what an event does to it."""

    status: GroupStatus
    substatus: GroupSubStatus
    activity: ActivityType
    history: GroupHistoryStatus
    inbox: GroupInboxReason


REGRESSION = Comeback(
    GroupStatus.RESOLVED,
    GroupSubStatus.REGRESSED,
    ActivityType.SET_REGRESSION,
    GroupHistoryStatus.REGRESSED,
    GroupInboxReason.REGRESSION,
)
SNOOZE_OVER = Comeback(
    GroupStatus.IGNORED,
    GroupSubStatus.ONGOING,
    ActivityType.SET_UNRESOLVED,
    GroupHistoryStatus.UNIGNORED,
    GroupInboxReason.UNIGNORED,
)


@pytest.fixture
def stopped() -> Iterator[None]:
    try:
        yield
    finally:
        disarm(conftest.faults_url)


def _record(project: Project, payload: dict[str, Any], received: datetime | None = None) -> dict[str, Any]:
    body = encode_event(project.id, project.org_id, received or utcnow(), payload)
    return events_queue_record(body)


def _clear_of_hour_edges(margin: float) -> None:
    """Neither within ``margin`` seconds of the hour's end nor 5 seconds of its start: the issue's
    first event is a few seconds older than the batch, and the checks read this hour's counts."""
    clear_of_hour_end(margin)
    into_hour = utcnow().minute * 60 + utcnow().second
    if into_hour < 5:
        time.sleep(5 - into_hour)


def _release(project: Project) -> Release:
    release = Release(
        *Release.key(project.org_id, RELEASE),
        id=int(uuid.uuid4().int % 10**12),
        org_id=project.org_id,
        version=RELEASE,
        version_lower=RELEASE,
        project_ids={project.id},
    )
    release.save()
    return release


def _resolved_issue(project: Project, fingerprint: str, comeback: Comeback = REGRESSION) -> None:
    """An issue with one event (user u0) a few seconds ago, then resolved (no resolution row: any
    event regresses it), or ignored until a time just past (the next event ends the snooze)."""
    earlier = (utcnow() - timedelta(seconds=3)).isoformat()
    assert store_batch([_record(project, _payload(fingerprint, user="u0", timestamp=earlier))]) == set()
    group = _group_of(project, fingerprint)
    if comeback.status == GroupStatus.IGNORED:
        group.update(actions=group.status_actions(GroupStatus.IGNORED, GroupSubStatus.UNTIL_CONDITION_MET))
        until = utcnow() - timedelta(seconds=1)
        snooze = dict(count=None, window=None, user_count=None, user_window=None, actor_id=None)
        new_snooze(group, until=until, **snooze).save()
    else:
        group.update(actions=group.status_actions(GroupStatus.RESOLVED, None))
    GroupInbox(*GroupInbox.key(group.id)).delete()  # resolving takes it out of the inbox


def _batch(project: Project, fingerprint: str) -> tuple[list[dict[str, Any]], str]:
    """Two events of two new users, of a release; the second is the newer."""
    now = utcnow()
    payloads = [
        _payload(
            fingerprint,
            user=f"u{i}",
            release=RELEASE,
            timestamp=(now + timedelta(milliseconds=i)).isoformat(),
        )
        for i in (1, 2)
    ]
    return [_record(project, payload) for payload in payloads], payloads[-1]["event_id"]


def _assert_exactly_once(
    project: Project, fingerprint: str, newest: str, comeback: Comeback = REGRESSION
) -> None:
    group = _group_of(project, fingerprint)
    assert (group.status, group.substatus) == (GroupStatus.UNRESOLVED, comeback.substatus)
    assert (group.times_seen, _hourly(group).count, _hour_users(group)) == (3, 3, 3)
    assert next(walk_group(group.id)).event_id == newest  # the event store's newest
    rows = group_rows(group)
    assert [a.type for a in rows[Activity]] == [comeback.activity]
    assert [h.status for h in rows[GroupHistory]] == [comeback.history]
    [inbox] = rows[GroupInbox]
    assert inbox.reason == comeback.inbox
    release = Release.get(*Release.key(project.org_id, RELEASE), consistent_read=True)
    assert release.last_event is not None and release.last_event >= group.last_seen


def _unfollowed_entries(project: Project) -> list[CountedEvents]:
    """Ledger entries of the project whose follow-up steps are not recorded done."""
    items = list(IssueItem.scan(IssueItem.pk.startswith(f"COUNTED#{project.id}#"), consistent_read=True))
    done = {(i.pk, i.sk.removesuffix("#followed")) for i in items if isinstance(i, FollowedUp)}
    batches = {
        i.pk.rsplit("#", 1)[1]: {bytes(i.entries)[n : n + 12].hex() for n in range(0, len(i.entries), 12)}
        for i in IssueItem.scan(IssueItem.pk.startswith(f"FOLLOWED#{project.id}#"), consistent_read=True)
        if isinstance(i, FollowedBatch)
    }
    return [
        i
        for i in items
        if isinstance(i, CountedEvents)
        and i.tombstone_id is None
        and (i.pk, i.sk) not in done
        and i.sk not in batches.get(i.followed_by or "", set())
    ]


@pytest.mark.parametrize("comeback", [REGRESSION, SNOOZE_OVER], ids=["regression", "snooze_over"])
def test_a_processor_stopped_after_any_request_is_finished_by_the_redelivery(
    project: Project,
    stopped: None,
    comeback: Comeback,
) -> None:
    _clear_of_hour_edges(120)
    _release(project)
    # how many requests a batch makes without a stop
    _resolved_issue(project, f"measure-{comeback.inbox}", comeback)
    records, newest = _batch(project, f"measure-{comeback.inbox}")
    stop_after(conftest.faults_url, 10_000)
    forget_known()
    assert store_batch(records) == set()
    total = passed(conftest.faults_url)
    disarm(conftest.faults_url)
    _assert_exactly_once(project, f"measure-{comeback.inbox}", newest, comeback)
    assert total > 8  # the ledger, the counting, the users, the tags, the transition, the store, ...
    for step in range(total):
        fingerprint = f"stop-{comeback.inbox}-{step}"
        _resolved_issue(project, fingerprint, comeback)
        records, newest = _batch(project, fingerprint)
        stop_after(conftest.faults_url, step)
        forget_known()  # each delivery as a cold processor makes it: the requests counted above
        failed = store_batch(records)
        disarm(conftest.faults_url)
        assert failed == {r["messageId"] for r in records}, step  # left to SQS
        assert store_batch(records) == set(), step  # delivered again
        _assert_exactly_once(project, fingerprint, newest, comeback)
        assert store_batch(records) == set(), step  # and once more: nothing changes
        _assert_exactly_once(project, fingerprint, newest, comeback)
    assert _unfollowed_entries(project) == []


def test_a_user_merge_refused_after_the_commit_still_regresses_the_issue(
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ordinary conflict of a busy issue's users and tags item, after the counting committed."""
    _clear_of_hour_edges(60)
    _release(project)
    _resolved_issue(project, "conflict")
    records, newest = _batch(project, "conflict")
    merge = aftermath.record_tags

    def busy(*args: Any, **kwargs: Any) -> None:
        raise Conflict("The issue's tags are changing too fast; retry")

    monkeypatch.setattr(aftermath, "record_tags", busy)
    assert store_batch(records) == {r["messageId"] for r in records}
    group = _group_of(project, "conflict")
    assert (group.status, group.times_seen) == (GroupStatus.RESOLVED, 3)  # counted, nothing after
    monkeypatch.setattr(aftermath, "record_tags", merge)
    assert store_batch(records) == set()
    _assert_exactly_once(project, "conflict", newest)


def test_one_mark_records_a_batch_done_and_leaves_out_the_issue_that_failed_after_its_commit(
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A delivery records its follow-up steps done in one item, not one per ledger entry; an issue
    whose steps failed after its commit is left out of it, and its redelivery finishes them."""
    _clear_of_hour_edges(60)
    _release(project)
    [done], failing = _fingerprints_in_shards(1)  # counted in separate transactions
    for fingerprint in (done, failing):
        _resolved_issue(project, fingerprint)
    marks_before = _marks(project)
    (done_records, done_newest), (failing_records, failing_newest) = (
        _batch(project, done),
        _batch(project, failing),
    )
    failing_group = _group_of(project, failing).id
    merge = aftermath.record_tags

    def busy(group_id: int, *args: Any, **kwargs: Any) -> None:
        if group_id == failing_group:
            raise Conflict("The issue's tags are changing too fast; retry")
        merge(group_id, *args, **kwargs)

    monkeypatch.setattr(aftermath, "record_tags", busy)
    assert store_batch(done_records + failing_records) == {r["messageId"] for r in failing_records}
    batch_marks, entry_marks = _marks(project)
    assert len(batch_marks - marks_before[0]) == 1  # one item for the delivery
    assert entry_marks == marks_before[1]  # and none per entry
    _assert_exactly_once(project, done, done_newest)
    [unfollowed] = _unfollowed_entries(project)
    assert unfollowed.spans == [failing_group, 2]  # its two events
    monkeypatch.setattr(aftermath, "record_tags", merge)
    assert store_batch(failing_records) == set()  # SQS delivers the failed messages again
    _assert_exactly_once(project, failing, failing_newest)
    _assert_exactly_once(project, done, done_newest)
    assert _unfollowed_entries(project) == []


def _marks(project: Project) -> tuple[set[str], set[tuple[str, str]]]:
    """The keys of the project's follow-up marks: one per delivery, and one beside an entry."""
    batches = IssueItem.scan(IssueItem.pk.startswith(f"FOLLOWED#{project.id}#"), consistent_read=True)
    entries = IssueItem.scan(IssueItem.pk.startswith(f"COUNTED#{project.id}#"), consistent_read=True)
    return {i.pk for i in batches}, {(i.pk, i.sk) for i in entries if isinstance(i, FollowedUp)}


def test_a_transition_performed_before_is_not_performed_again_after_the_issue_went_back(
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A delivery that finishes an earlier one's steps after someone resolved the issue again does
    not regress it a second time for the same event (its activity row is keyed by the event)."""
    _clear_of_hour_edges(60)
    _resolved_issue(project, "twice")
    records, _ = _batch(project, "twice")
    mark = ledger.mark_followed

    def died(entries: list[CountedEvents]) -> None:
        if list(entries):
            raise ConnectionError("the processor's environment went away before marking its steps done")

    monkeypatch.setattr(ledger, "mark_followed", died)
    assert store_batch(records) == {r["messageId"] for r in records}
    group = _group_of(project, "twice")
    assert group.status == GroupStatus.UNRESOLVED  # every step done, none recorded done
    group.update(actions=group.status_actions(GroupStatus.RESOLVED, None))  # someone resolves it
    monkeypatch.setattr(ledger, "mark_followed", mark)
    assert store_batch(records) == set()
    group = _group_of(project, "twice")
    assert (group.status, group.times_seen) == (GroupStatus.RESOLVED, 3)
    assert [a.type for a in group_rows(group)[Activity]] == [ActivityType.SET_REGRESSION]
    assert _unfollowed_entries(project) == []


def test_the_ledger_outlives_a_message_in_the_queues_and_one_redrive() -> None:
    from local.template import resources

    queues = resources("AWS::SQS::Queue")
    events = queues["EventsQueue"]
    dead_letter = queues["EventsDeadLetterQueue"]
    queue_days = int(events.get("MessageRetentionPeriod", 345600)) / 86400
    dead_days = int(dead_letter["MessageRetentionPeriod"]) / 86400
    assert events["RedrivePolicy"]["maxReceiveCount"] == 5
    # a message's life in both queues (the dead-letter queue counts from the first enqueue), twice:
    # a redrive gives the message a new enqueue time
    life = max(queue_days, dead_days)
    assert 2 * life <= COUNTED_EVENTS_RETENTION_DAYS
    assert timedelta(days=COUNTED_EVENTS_RETENTION_DAYS) == ledger.RETENTION


def _times_seen(project: Project, fingerprint: str) -> tuple[int, int]:
    group = _group_of(project, fingerprint)
    return group.times_seen, _hourly(group).count


def test_a_resend_from_a_clock_minutes_ahead_counts_once(project: Project) -> None:
    """The edge counts such an event at the time received (Relay's limit: a minute ahead); the
    resend is received later, with the same claimed time."""
    clear_of_hour_end(60)
    ahead = (utcnow() + timedelta(minutes=5)).isoformat()
    payload = _payload("fast clock", user="u1", timestamp=ahead)
    assert store_batch([_record(project, payload)]) == set()
    resent = _record(project, payload, received=utcnow() + timedelta(seconds=7))
    assert store_batch([resent]) == set()
    assert _times_seen(project, "fast clock") == (1, 1)


def test_a_resend_without_a_timestamp_counts_once(project: Project) -> None:
    clear_of_hour_end(60)
    payloads = [_payload("no clock", user=f"u{i}") for i in range(3)]  # no timestamp at all
    assert store_batch([_record(project, p) for p in payloads]) == set()
    later = utcnow() + timedelta(seconds=3)
    assert store_batch([_record(project, p, received=later) for p in [*payloads, payloads[0]]]) == set()
    assert _times_seen(project, "no clock") == (3, 3)


def test_a_resend_with_a_new_receipt_time_counts_once(project: Project) -> None:
    """Every delivery through the edge again (an SDK's retry after a 429 or a lost answer)."""
    clear_of_hour_end(60)
    payloads = _stamped_now("retried", 4)
    assert store_batch([_record(project, p) for p in payloads]) == set()
    for seconds in (2, 30):
        later = utcnow() + timedelta(seconds=seconds)
        assert store_batch([_record(project, p, received=later) for p in payloads]) == set()
    assert _times_seen(project, "retried") == (4, 4)


def test_a_message_redriven_from_the_dead_letter_queue_counts_once(project: Project) -> None:
    """A redrive sends the body again as a new message (new id, new enqueue time)."""
    clear_of_hour_end(60)
    records = [_record(project, p) for p in _stamped_now("redriven", 3)]
    assert store_batch(records) == set()
    redriven = [events_queue_record(record["body"]) for record in records]
    assert {r["messageId"] for r in redriven}.isdisjoint(r["messageId"] for r in records)
    assert store_batch(redriven) == set()
    assert _times_seen(project, "redriven") == (3, 3)


def _stamped_now(fingerprint: str, count: int) -> list[dict[str, Any]]:
    stamp = utcnow().isoformat()
    return [_payload(fingerprint, user=f"u{i}", timestamp=stamp) for i in range(count)]
