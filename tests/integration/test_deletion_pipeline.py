"""The deletion pipeline on the moto server with real SQS messages: delete_group_list, the deletion
worker (duplicate delivery, a crash half-way then a retry, early receipt) and the sweeper."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from pynamodb.models import BatchWrite

from local.metering import count_requests
from shared.issues.deletion.queue import delete_group_list
from shared.issues.deletion.sweeper import STUCK_AFTER, sweep
from shared.issues.deletion.worker import delete_groups
from shared.issues.enums import GroupStatus
from shared.storage.base import utcnow
from shared.storage.issues import Group, GroupInbox
from tests.conftest import World
from tests.integration.deletion_support import (
    acknowledge,
    deliver,
    get_hash,
    partition,
    populated_group,
    project_of,
    queue_url,
    receive,
    row_exists,
    run_worker_until_idle,
    short_id_pointer_exists,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("empty_deletion_queue")


def _job_messages(group_id: int) -> list[dict]:
    return [m for m in receive() if group_id in json.loads(m["Body"]).get("group_ids", [])]


def test_delete_group_list_marks_pending_unlinks_hashes_and_queues_one_job(world: World) -> None:
    project = project_of(world)
    group = populated_group(project, "boom", world.owner_id)
    hashes = [sk.removeprefix("HASH#") for _, sk in partition(group.id) if sk.startswith("HASH#")]

    with count_requests() as requests:
        delete_group_list([group])

    stored = Group.get(*Group.key(group.id), consistent_read=True)
    assert stored.status == GroupStatus.PENDING_DELETION
    assert stored.substatus is None
    assert stored.delete_after > utcnow() + timedelta(seconds=2)  # the local delay is 5 s
    assert stored.gsi2pk == "DELETION"
    assert not row_exists(GroupInbox.key(group.id))
    assert [get_hash(project.id, h).group_id for h in hashes] == [None, None]
    # One transaction, one inbox batch, one hash Query, two hash updates, one SendMessage.
    assert requests == {
        "TransactWriteItems": 1,
        "BatchWriteItem": 1,
        "Query": 1,
        "UpdateItem": 2,
        "SendMessage": 1,
    }
    # Deleting it again is a no-op: the transaction's condition refuses it and nothing is queued.
    delete_group_list([stored])
    messages = receive(wait_seconds=8)  # the job is delayed by the local 5 s
    acknowledge(messages)
    assert [json.loads(m["Body"])["group_ids"] for m in messages] == [[group.id]]


def test_worker_deletes_every_child_row_and_leaves_the_neighbour(
    world: World, no_deletion_delay: None
) -> None:
    project = project_of(world)
    group = populated_group(project, "gone", world.owner_id)
    neighbour = populated_group(project, "stays", world.owner_id)
    before = snapshot(neighbour.id)
    hashes = [sk.removeprefix("HASH#") for _, sk in partition(group.id) if sk.startswith("HASH#")]
    assert len(partition(group.id)) >= 17

    delete_group_list([group])
    assert run_worker_until_idle() >= 1

    assert partition(group.id) == []
    assert not short_id_pointer_exists(group)
    # GroupHash rows stay (as in Sentry), unlinked.
    assert [get_hash(project.id, h).group_id for h in hashes] == [None, None]
    assert snapshot(neighbour.id) == before
    assert short_id_pointer_exists(neighbour)


def test_duplicate_delivery_ends_in_the_same_state(world: World, no_deletion_delay: None) -> None:
    project = project_of(world)
    group = populated_group(project, "twice", world.owner_id)
    neighbour = populated_group(project, "neighbour", world.owner_id)
    before = snapshot(neighbour.id)

    delete_group_list([group])
    messages = _job_messages(group.id)
    assert len(messages) == 1
    assert deliver(messages) == set()
    assert partition(group.id) == []
    assert deliver(messages) == set()  # SQS redelivers: the second run finds nothing to do
    acknowledge(messages)

    assert partition(group.id) == []
    assert snapshot(neighbour.id) == before


def test_a_worker_that_dies_half_way_is_resumed_by_the_retry(
    world: World, no_deletion_delay: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_of(world)
    group = populated_group(project, "crash", world.owner_id, extra_activities=60)
    neighbour = populated_group(project, "survivor", world.owner_id)
    before = snapshot(neighbour.id)
    rows_before = len(partition(group.id))

    original_commit = BatchWrite.commit
    commits = {"n": 0}

    def crash_on_second_batch(self: BatchWrite) -> None:
        commits["n"] += 1
        if commits["n"] == 2:
            raise RuntimeError("worker killed")
        original_commit(self)

    delete_group_list([group])
    messages = _job_messages(group.id)
    monkeypatch.setattr(BatchWrite, "commit", crash_on_second_batch)
    with pytest.raises(BatchProcessingError):  # the whole batch failed: SQS will deliver it again
        deliver(messages)
    monkeypatch.setattr(BatchWrite, "commit", original_commit)

    left = partition(group.id)
    assert 0 < len(left) < rows_before  # half-way: the first batch of 25 went, the group row is kept
    assert Group.get(*Group.key(group.id), consistent_read=True).status == GroupStatus.DELETION_IN_PROGRESS

    assert deliver(messages) == set()  # the retry
    acknowledge(messages)
    assert partition(group.id) == []
    assert not short_id_pointer_exists(group)
    assert snapshot(neighbour.id) == before


def test_a_job_received_before_delete_after_is_queued_again(world: World) -> None:
    project = project_of(world)
    group = populated_group(project, "early", world.owner_id)
    delete_group_list([group])

    assert delete_groups([group.id], "tx", now=utcnow()) == 0

    assert len(partition(group.id)) > 1
    assert Group.get(*Group.key(group.id), consistent_read=True).status == GroupStatus.PENDING_DELETION
    # The original job and the re-queued one both arrive after the (5 s) delay, then delete it.
    delayed = receive(wait_seconds=10)
    assert any(group.id in json.loads(m["Body"])["group_ids"] for m in delayed)
    assert deliver(delayed) == set()
    acknowledge(delayed)
    run_worker_until_idle()
    assert partition(group.id) == []


def test_the_sweeper_requeues_a_group_whose_message_was_lost(world: World, no_deletion_delay: None) -> None:
    project = project_of(world)
    group = populated_group(project, "lost", world.owner_id)
    delete_group_list([group])
    acknowledge(_job_messages(group.id))  # the job is lost

    assert group.id not in sweep()  # not stuck yet
    later = utcnow() + STUCK_AFTER + timedelta(minutes=1)
    assert group.id in sweep(now=later)
    assert group.id not in sweep(now=later)  # pushed back while its new job runs

    run_worker_until_idle()
    assert partition(group.id) == []


def test_a_poison_message_fails_alone_and_goes_back_to_sqs(world: World, no_deletion_delay: None) -> None:
    project = project_of(world)
    group = populated_group(project, "fine", world.owner_id)
    delete_group_list([group])
    boto3.client("sqs").send_message(QueueUrl=queue_url(), MessageBody=json.dumps({"type": "reticulate"}))
    messages = receive(wait_seconds=2)
    while len(messages) < 2:
        messages += receive()
    poison = [m["MessageId"] for m in messages if "reticulate" in m["Body"]]

    assert deliver(messages) == set(poison)  # partial batch failure: only the poison one goes back

    acknowledge(messages)
    assert partition(group.id) == []


def test_a_message_failing_five_times_lands_in_the_dead_letter_queue() -> None:
    client = boto3.client("sqs")
    dead_letters = client.get_queue_url(QueueName="DeletionDeadLetterQueue")["QueueUrl"]
    client.send_message(QueueUrl=queue_url(), MessageBody=json.dumps({"type": "reticulate", "n": 5}))

    for _ in range(5):
        messages = receive(wait_seconds=2, visibility=0)  # visible again at once: the retry
        assert len(messages) == 1
        with pytest.raises(BatchProcessingError):
            deliver(messages)

    assert receive(visibility=0) == []
    parked = client.receive_message(QueueUrl=dead_letters, WaitTimeSeconds=2).get("Messages", [])
    assert [json.loads(m["Body"]) for m in parked] == [{"type": "reticulate", "n": 5}]
    client.delete_message(QueueUrl=dead_letters, ReceiptHandle=parked[0]["ReceiptHandle"])
