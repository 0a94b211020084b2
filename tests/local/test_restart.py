"""``make run`` keeps its data across restarts: organizations, tokens, DSNs, issues and releases
are there after a Ctrl-C and a new start, a later event counts on the same issue, queued messages
wait on their queues and the buckets keep their objects; a fresh start has none of it. One sequence
of starts checks them all (a start of the whole system is the test's cost)."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import requests

from local.moto_server import free_port
from tests.conftest import wait_until
from tests.local.running_system import RunningSystem, running_system


def _send(system: RunningSystem, fingerprint: str) -> str:
    url, key = system.ingest
    event_id = uuid.uuid4().hex
    header = json.dumps({"event_id": event_id}).encode()
    payload = json.dumps({"event_id": event_id, "message": "kept", "fingerprint": [fingerprint]}).encode()
    item = json.dumps({"type": "event", "length": len(payload)}).encode()
    response = requests.post(
        url,
        data=gzip.compress(b"\n".join([header, item, payload])),
        headers={
            "Content-Type": "application/x-sentry-envelope",
            "Content-Encoding": "gzip",
            "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7",
        },
    )
    assert response.status_code == 200, response.text
    return event_id


def _counted(system: RunningSystem, count: str) -> list[dict] | None:
    """The issues once there is exactly one, seen ``count`` times (events are processed a moment
    after they are accepted)."""
    issues = _issues(system)
    return issues if [issue["count"] for issue in issues] == [count] else None


def _issues(system: RunningSystem) -> list[dict]:
    url = f"{system.base_url}/api/0/projects/{system.org}/{system.project}/issues/"
    response = requests.get(url, headers=system.headers())
    assert response.status_code == 200, response.text
    return response.json()


def _queue_messages(sqs: Any) -> tuple[str, str]:
    """Waiting, delayed and in-flight messages on dead-letter queues (no consumer takes them)."""
    url = sqs.get_queue_url(QueueName="DeletionDeadLetterQueue")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="in-flight")
    [taken] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=600)["Messages"]
    assert taken["Body"] == "in-flight"
    sqs.send_message(QueueUrl=url, MessageBody="waiting")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=900)
    other = sqs.get_queue_url(QueueName="ReleaseCommitsDeadLetterQueue")["QueueUrl"]
    sqs.send_message(QueueUrl=other, MessageBody="elsewhere")
    return url, other


def _queue_messages_back(sqs: Any, url: str, other: str) -> None:
    """The in-flight message is visible at once (its consumer is gone), the delayed one still held."""
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesDelayed"]) == ("2", "1")
    assert counts["MessageRetentionPeriod"] == "1209600"  # the template's attributes
    attributes = ["ApproximateReceiveCount"]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=attributes)
    by_body = {m["Body"]: m["Attributes"]["ApproximateReceiveCount"] for m in received["Messages"]}
    assert by_body == {"in-flight": "2", "waiting": "1"}
    [elsewhere] = sqs.receive_message(QueueUrl=other)["Messages"]
    assert elsewhere["Body"] == "elsewhere"


def test_data_queues_and_buckets_are_kept_across_a_restart_and_a_fresh_start_is_empty(tmp_path: Path) -> None:
    moto_port = free_port()
    sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{moto_port}")
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{moto_port}")
    with running_system(tmp_path, MOTO_PORT=str(moto_port)) as first:
        assert not first.restored
        _send(first, "kept-issue")
        release = requests.post(
            f"{first.base_url}/api/0/organizations/{first.org}/releases/",
            json={"version": "kept@1.0", "projects": [first.project]},
            headers=first.headers(),
        )
        assert release.status_code == 201, release.text
        [issue] = wait_until(lambda: _counted(first, "1"), what="the event counted")
        queues = _queue_messages(sqs)
        # the template's buckets, with its retention rule
        rules = s3.get_bucket_lifecycle_configuration(Bucket="events-bucket")["Rules"]
        assert {rule["ID"]: rule.get("Expiration") for rule in rules}["retention"] == {"Days": 90}
        s3.put_object(Bucket="events-bucket", Key="kept/1", Body=b"kept bytes")
        s3.put_object(Bucket="artifacts-bucket", Key="bundle", Body=b"bundle bytes")

    with running_system(tmp_path, MOTO_PORT=str(moto_port)) as second:
        assert second.restored
        assert (second.token, second.dsn.split("@")[0]) == (first.token, first.dsn.split("@")[0])
        kept = requests.get(
            f"{second.base_url}/api/0/organizations/{second.org}/releases/kept@1.0/", headers=second.headers()
        )
        assert kept.status_code == 200 and kept.json()["version"] == "kept@1.0"
        _queue_messages_back(sqs, *queues)
        assert s3.get_object(Bucket="events-bucket", Key="kept/1")["Body"].read() == b"kept bytes"
        assert s3.get_object(Bucket="artifacts-bucket", Key="bundle")["Body"].read() == b"bundle bytes"
        _send(second, "kept-issue")
        [again] = wait_until(lambda: _counted(second, "2"), what="the event counted")
        assert again["id"] == issue["id"]

    with running_system(tmp_path, MOTO_PORT=str(moto_port), FRESH="1") as fresh:
        assert not fresh.restored and fresh.token != first.token
        assert _issues(fresh) == []
        refused = requests.get(f"{fresh.base_url}/api/0/", headers=first.headers())
        assert refused.status_code == 401
        assert s3.list_objects_v2(Bucket="events-bucket").get("KeyCount") == 0
