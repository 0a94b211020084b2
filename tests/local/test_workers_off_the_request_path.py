"""With every queue consumer and schedule running (as ``make run`` starts them), requests complete
while the deletion worker is busy with a job of a few hundred rows, and the deletion completes."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import requests

from local.moto_server import free_port
from tests.conftest import wait_until
from tests.local.running_system import running_system
from tests.local.test_restart import _issues, _send

GROUPS = 75  # four rows each (group, inbox, hash reference, hourly count): 300 rows


def _group_rows(endpoint: str, ids: list[str]) -> int:
    """Rows left in the partitions of the groups ``ids``, read from the system's own tables."""
    from shared.storage.issues import group_pk

    client = boto3.client("dynamodb", endpoint_url=endpoint)
    return sum(
        client.query(
            TableName="IssuesTable",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": group_pk(int(i))}},
            Select="COUNT",
        )["Count"]
        for i in ids
    )


def test_a_burst_completes_while_the_deletion_worker_runs(tmp_path: Path) -> None:
    dynamodb_port = free_port()
    endpoint = f"http://127.0.0.1:{dynamodb_port}"
    settings = {
        "DELETION_DELAY_SECONDS": "0",
        "LOCAL_SCHEDULE_SECONDS": "2",
        "MOTO_DYNAMODB_PORT": str(dynamodb_port),
    }
    with running_system(tmp_path, **settings) as system:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: _send(system, f"burst-{i}"), range(GROUPS)))

        def listed() -> list[str] | None:
            answer = requests.get(
                f"{system.base_url}/api/0/projects/{system.org}/{system.project}/issues/",
                params={"per_page": 100},
                headers=system.headers(),
            )
            ids = [issue["id"] for issue in answer.json()]
            return ids if len(ids) == GROUPS else None

        ids = wait_until(listed, timeout=60, what="every issue of the burst")
        rows = _group_rows(endpoint, ids)
        assert rows >= 4 * GROUPS
        deleted = requests.delete(
            f"{system.base_url}/api/0/organizations/{system.org}/issues/",
            params=[("id", i) for i in ids],
            headers=system.headers(),
        )
        assert deleted.status_code == 204, deleted.text

        def ask(i: int) -> tuple[int, object]:
            url = (
                f"{system.base_url}/api/0/",
                f"{system.base_url}/api/0/projects/{system.org}/{system.project}/",
            )
            response = requests.get(url[i % 2], headers=system.headers(), timeout=30)
            return response.status_code, response.json()

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, range(40)))
        assert [status for status, _ in answers] == [200] * 40
        assert all(body["slug"] == system.project for status, body in answers[1::2])

        deadline = time.monotonic() + 120
        while _group_rows(endpoint, ids):
            assert time.monotonic() < deadline, "the deletion never completed"
            time.sleep(1)
        assert _issues(system) == []
