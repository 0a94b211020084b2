"""Under DynamoDB faults (throttling, internal errors, transaction conflicts, partial batches) every
answer is 2xx, 429 or 503 — never a 500 — and a client that retries what it was refused ends in
exactly the state of a fault-free run.

Faults are injected on the wire in front of the DynamoDB endpoint (``local.faults``), so they
reach the handlers wherever they run. ``WATCHTOWER_FAULT_SEED`` picks the seed (default 2026)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
import requests

from local.faults import arm, disarm
from shared.issues.enums import ActivityType, GroupStatus
from shared.issues.groups import get_group
from shared.issues.short_ids import format_short_id
from shared.sequences import allocate
from shared.snowflake import generate_snowflake_id
from shared.storage.issues import Activity, GroupInbox, GroupLink
from tests import conftest
from tests.conftest import World, unique
from tests.integration.deletion_support import (
    deliver,
    partition,
    populated_group,
    project_of,
    queue_url,
    receive,
    short_id_pointer_exists,
)
from tests.integration.test_ingest_api import (
    _auth,
    _envelope,
    _event,
    _event_item,
    project_dsn,
    project_groups,
)
from tests.integration.test_issue_update import IssuesApi, rows

SEED = int(os.environ.get("WATCHTOWER_FAULT_SEED", "2026"))
RATE = 0.2
REFUSALS = {429, 503}


class Faults:
    """The seeded faults of one test: armed when it starts, stopped where the test says."""

    def start(self) -> None:
        arm(conftest.faults_url, SEED, RATE)

    def stop(self) -> dict[str, int]:
        """Disarm; the faults were really injected (a test without them would prove nothing)."""
        injected = disarm(conftest.faults_url)
        assert sum(injected.values()) > 0, injected
        return injected


@pytest.fixture
def faults() -> Iterator[Faults]:
    armed = Faults()
    armed.start()
    try:
        yield armed
    finally:
        disarm(conftest.faults_url)


def until_done(send: Callable[[], requests.Response], refused: set[int] = REFUSALS) -> requests.Response:
    """Send until the answer is not a refusal, as an SDK honouring ``Retry-After`` would."""
    for _ in range(100):
        response = send()
        assert response.status_code < 300 or response.status_code in refused, response.text
        if response.status_code < 300:
            return response
        assert response.headers["Retry-After"] == "1"
        assert response.json() == {"detail": "The service is busy. Please try again shortly."}
        time.sleep(0.05)
    raise AssertionError("never accepted")


def test_a_spent_budget_is_503_on_the_api_and_429_on_ingestion_and_writes_nothing(
    http: requests.Session, base_url: str, world: World
) -> None:
    api = IssuesApi(http, base_url, world)
    group = api.group()
    dsn, project_id = project_dsn(base_url, world)
    arm(conftest.faults_url, SEED, 1.0, ["InternalServerError"])
    try:
        refused = api.put(group, {"status": "resolved"})
        ingest = requests.post(
            f"{base_url}/api/{project_id}/envelope/",
            data=_envelope(_event_item(_event(message="busy"))),
            headers=_auth(dsn.split("//", 1)[1].split("@", 1)[0]),
        )
    finally:
        disarm(conftest.faults_url)
    assert (refused.status_code, refused.headers["Retry-After"]) == (503, "1")
    assert refused.json() == {"detail": "The service is busy. Please try again shortly."}
    assert (ingest.status_code, ingest.headers["Retry-After"]) == (429, "1")
    assert get_group(group.id).status == GroupStatus.UNRESOLVED
    assert [g.id for g in project_groups(project_id)] == [group.id]


def test_set_commits_of_300_commits_with_fixes_references(
    http: requests.Session, base_url: str, world: World, faults: Faults
) -> None:
    api = IssuesApi(http, base_url, world)
    groups = [api.group(f"Fixable {i}") for i in range(5)]
    version = unique("faulty")
    release_url = f"{base_url}/api/0/organizations/{world.org}/releases/"
    until_done(
        lambda: http.post(
            release_url, json={"version": version, "projects": [world.project]}, headers=world.headers()
        )
    )
    commits = [
        {
            "id": f"{i:040x}",
            "repository": "acme/faults",
            "message": f"Change {i}"
            + (
                f"\n\nFixes {format_short_id(world.project, groups[i // 60].short_id)}" if i % 60 == 0 else ""
            ),
        }
        for i in range(300)
    ]
    until_done(
        lambda: http.put(f"{release_url}{version}/", json={"commits": commits}, headers=world.headers())
    )
    faults.stop()

    answer = http.get(f"{release_url}{version}/commits/?per_page=100", headers=world.headers())
    assert answer.status_code == 200
    assert http.get(f"{release_url}{version}/", headers=world.headers()).json()["commitCount"] == 300
    for group in groups:
        assert get_group(group.id).status == GroupStatus.RESOLVED
        assert len(rows(group, GroupLink)) == 1
        referenced = [a for a in rows(group, Activity) if a.type == ActivityType.REFERENCED_IN_COMMIT]
        assert len(referenced) == 1


def test_bulk_resolve_of_100_issues(
    http: requests.Session, base_url: str, world: World, faults: Faults
) -> None:
    api = IssuesApi(http, base_url, world)
    disarm(conftest.faults_url)
    groups = [api.group(f"Bulk {i}") for i in range(100)]
    faults.start()
    params = [("id", str(g.id)) for g in groups]
    until_done(lambda: api.bulk(params, {"status": "resolved"}))
    faults.stop()
    for group in groups:
        assert get_group(group.id).status == GroupStatus.RESOLVED
        resolved = [a for a in rows(group, Activity) if a.type == ActivityType.SET_RESOLVED]
        assert len(resolved) == 1
        assert rows(group, GroupInbox) == []


def test_50_events_across_5_new_groups(base_url: str, world: World, faults: Faults) -> None:
    dsn, project_id = project_dsn(base_url, world)
    url = f"{base_url}/api/{project_id}/envelope/"
    headers = _auth(dsn.split("//", 1)[1].split("@", 1)[0])

    for i in range(50):
        body = _envelope(_event_item(_event(message=f"m{i % 5}", fingerprint=[f"group-{i % 5}"])))
        until_done(lambda body=body: requests.post(url, data=body, headers=headers))
    faults.stop()
    groups = project_groups(project_id)
    assert sorted(g.times_seen for g in groups) == [10] * 5
    # each its own short id; a creation cut short by a fault leaves its reserved number unused
    assert len({g.short_id for g in groups}) == 5


def test_discard_then_the_deletion_worker(
    http: requests.Session,
    base_url: str,
    world: World,
    faults: Faults,
    no_deletion_delay: None,
) -> None:
    disarm(conftest.faults_url)
    project = project_of(world, discard=True)
    group = populated_group(project, "TypeError: x is undefined", world.owner_id)
    faults.start()
    until_done(
        lambda: http.put(
            f"{base_url}/api/0/issues/{group.id}/", json={"discard": True}, headers=world.headers()
        )
    )
    sqs = boto3.client("sqs")
    for _ in range(200):
        messages = receive()
        if not messages:
            break
        failed = deliver(messages)
        for message in messages:
            if message["MessageId"] in failed:  # redelivered at once instead of after the timeout
                sqs.change_message_visibility(
                    QueueUrl=queue_url(), ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=queue_url(), ReceiptHandle=message["ReceiptHandle"])
    else:
        raise AssertionError("the deletion queue never became empty")
    faults.stop()
    assert partition(group.id) == []
    assert not short_id_pointer_exists(group)


def test_ten_project_creates_with_one_name(base_url: str, world: World, faults: Faults) -> None:
    url = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"

    def create(_: int) -> dict[str, Any]:
        return until_done(
            lambda: requests.post(url, json={"name": "Same Name"}, headers=world.headers())
        ).json()

    with ThreadPoolExecutor(10) as pool:
        created = list(pool.map(create, range(10)))
    faults.stop()
    assert len({p["slug"] for p in created}) == len({p["id"] for p in created}) == 10
    listed = requests.get(f"{base_url}/api/0/organizations/{world.org}/projects/", headers=world.headers())
    assert sorted(p["slug"] for p in listed.json() if p["name"] == "Same Name") == sorted(
        p["slug"] for p in created
    )


def test_snowflake_and_sequence_allocation(faults: Faults) -> None:
    name = unique("faulty-seq")

    def take(_: int) -> tuple[list[int], list[int]]:
        return [generate_snowflake_id() for _ in range(20)], [
            i for size in (1, 9, 40) for i in allocate(name, size)
        ]

    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(take, range(5)))
    faults.stop()
    snowflakes = [i for s, _ in results for i in s]
    sequence = [i for _, q in results for i in q]
    assert len(set(snowflakes)) == len(snowflakes) == 100
    assert sorted(sequence) == list(range(1, 251))
