"""The event processor as SQS drives it: batches of queued events handed to its function, as the
events queue's event source mapping hands them over. Per issue one write however many events a
batch holds, one group however many batches race to create it, nothing counted twice when a batch
or some of its events come again, and only the failed records reported back."""

from __future__ import annotations

import math
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.lambda_pool import InvocationFailed, LocalLambda
from local.metering import count_requests
from shared.accounts.organizations import find_organization
from shared.ingest.batch import store_batch
from shared.ingest.queue import decode_event, encode_event
from shared.issues.enums import ActivityType, GroupStatus
from shared.issues.events.user_sketch import UserSketch
from shared.storage.accounts import Project
from shared.storage.base import utcnow
from shared.storage.dynamodb import max_transaction_items
from shared.storage.group_state import (
    GroupHash,
    GroupHashRef,
    GroupHourlyCount,
    GroupHourlyUsers,
    hour_bucket,
)
from shared.storage.issues import Activity, Group
from tests.conftest import World
from tests.integration.test_ingest_api import clear_of_hour_end, group_rows, project_groups, stored_group

PROCESSOR = "EventProcessorFunction"


@pytest.fixture
def project(world: World) -> Project:
    org = find_organization(world.org)
    assert org is not None
    return Project.get(*Project.key(int(org.id), world.project))


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
    return {
        "messageId": uuid.uuid4().hex,
        "receiptHandle": uuid.uuid4().hex,
        "body": encode_event(int(project.id), int(project.org_id), utcnow(), payload),
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:EventsQueue",
        "awsRegion": "us-east-1",
    }


def _deliver(local_lambda: LocalLambda, records: list[dict[str, Any]]) -> list[str]:
    """Invoke the processor with one batch; the message ids it reports failed."""
    result = local_lambda.invoke(PROCESSOR, {"Records": records}) or {}
    return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def _group_of(project: Project, fingerprint: str) -> Group:
    [group] = [g for g in project_groups(int(project.id)) if g.title == f"{fingerprint} happened"]
    return stored_group(group)


def _hourly(group: Group) -> GroupHourlyCount:
    return GroupHourlyCount.get(
        *GroupHourlyCount.key(int(group.id), hour_bucket(utcnow())), consistent_read=True
    )


def _hour_users(group: Group) -> int:
    """Distinct users of the group this hour, from its stored sketch."""
    row = GroupHourlyUsers.get(
        *GroupHourlyUsers.key(int(group.id), hour_bucket(utcnow())), consistent_read=True
    )
    return UserSketch.from_bytes(row.sketch).count()


def test_a_batch_costs_one_write_per_issue(project: Project, local_lambda: LocalLambda) -> None:
    clear_of_hour_end()
    existing = _record(project, _payload("existing"))
    assert _deliver(local_lambda, [existing]) == []
    batch = [_record(project, _payload("storm", user=f"u{i % 3}")) for i in range(12)]
    batch += [_record(project, _payload("existing", user="u9")) for _ in range(5)]
    with count_requests() as calls:
        assert _deliver(local_lambda, batch) == []
    storm, other = _group_of(project, "storm"), _group_of(project, "existing")
    assert (storm.times_seen, other.times_seen) == (12, 6)
    assert (_hourly(storm).count, _hour_users(storm)) == (12, 3)
    assert (_hourly(other).count, _hour_users(other)) == (6, 1)
    per_transaction = max_transaction_items() - 1  # markers beside the counted group
    # the new issue: its creation (with its first event), then its other 11 events; the other: 5
    transactions = 1 + math.ceil(11 / per_transaction) + math.ceil(5 / per_transaction)
    assert calls["TransactWriteItems"] == transactions
    assert calls["UpdateItem"] == 2  # one hourly count per issue; neither index key is a minute old
    # two hashes, the short id counter, each group read back, each issue's hour of users read
    assert calls["GetItem"] == 2 + 1 + 2 + 2
    # each issue's users merged once (both bring new users), and its latest event written once
    assert calls["PutItem"] == 2 + 2


def test_a_redelivered_batch_counts_nothing_twice(project: Project, local_lambda: LocalLambda) -> None:
    clear_of_hour_end()
    batch = [_record(project, _payload("again", user=f"u{i}")) for i in range(6)]
    assert _deliver(local_lambda, batch) == []
    assert _deliver(local_lambda, batch) == []  # the same batch again (its visibility ran out)
    # the same events again in other batches, with new message ids (an SDK retry through the edge)
    resent = [_record(project, decode_event(r["body"]).payload) for r in batch]
    assert _deliver(local_lambda, [*resent[:2], _record(project, _payload("again"))]) == []
    assert _deliver(local_lambda, resent[2:] + resent[2:]) == []
    group = _group_of(project, "again")
    assert group.times_seen == 7
    assert (_hourly(group).count, _hour_users(group)) == (7, 6)


def test_racing_batches_create_one_group(project: Project, local_lambda: LocalLambda) -> None:
    clear_of_hour_end()
    batches = [[_record(project, _payload("race")) for _ in range(5)] for _ in range(4)]
    with ThreadPoolExecutor(len(batches)) as pool:
        assert list(pool.map(lambda b: _deliver(local_lambda, b), batches)) == [[]] * len(batches)
    [group] = project_groups(int(project.id))
    assert stored_group(group).times_seen == 20 and _hourly(group).count == 20
    [ref] = group_rows(group)[GroupHashRef]
    assert GroupHash.get(*GroupHash.key(int(project.id), ref.hash)).group_id == group.id


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


def test_a_batch_of_many_transactions_in_one_second_counts_every_event(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storm's events share their timestamp: once the newest transaction has renamed the issue,
    the others only add to it (none is refused for not being newer, none gives up)."""
    clear_of_hour_end()
    monkeypatch.setenv("DYNAMODB_MAX_TRANSACTION_ITEMS", "3")  # two markers beside the group each
    received = utcnow()
    second = received.replace(microsecond=0).isoformat()
    payloads = [_payload("same-second", user=f"u{i}", timestamp=second) for i in range(20)]
    records = [_record(project, payload) for payload in payloads]
    assert store_batch(records) == set()
    group = _group_of(project, "same-second")
    assert group.times_seen == 20
    assert (_hourly(group).count, _hour_users(group)) == (20, 20)
    assert store_batch(records) == set()  # and again: nothing counted twice
    assert _group_of(project, "same-second").times_seen == 20
