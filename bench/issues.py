"""Benchmark the issue update flow through the local API: DynamoDB requests and latency per call.

A single ``PUT /issues/{id}/`` per behaviour (resolve, ignore with a snooze, archive until escalating,
assign, mark reviewed, flags), the group read, a list page, and bulk updates over 10 / 100 / 1000
groups, whose writes are batched (25 groups per TransactWriteItems, 25 rows per BatchWriteItem) and
whose reads go 100 keys per BatchGetItem. It starts its own moto server and local API, and prints the
figures as one JSON object on its last line.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local.metering import count_requests
from local.moto_server import free_port, start_process
from local.resources import provision

SIZES = (10, 100, 1000)
REPEATS = 3
# the second bulk shape (ignore with a snooze + bookmark) stops at 100 groups to keep the run short
IGNORE_MAX = 100
SINGLE_BODIES: dict[str, dict[str, Any]] = {
    "resolve": {"status": "resolved"},
    "unresolve": {"status": "unresolved"},
    "ignore_30min": {"status": "ignored", "ignoreDuration": 30},
    "archive_until_escalating": {"status": "ignored", "substatus": "archived_until_escalating"},
    "assign": {"assignedTo": "demo"},
    "mark_reviewed": {"inbox": False},
    "flags": {"hasSeen": True, "isBookmarked": True, "isSubscribed": True, "isPublic": True},
    "priority": {"priority": "low"},
}


def _measure(call: Any) -> tuple[int, float, Any]:
    """Requests made and milliseconds spent by one call (the API server runs in this process)."""
    with count_requests() as calls:
        start = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - start) * 1000
    return sum(calls.values()), elapsed, response


def _groups(project: Any, count: int) -> list[int]:
    """``count`` new groups, created as ingestion creates them (one transaction each)."""
    from shared.issues.groups import create_group

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda i: int(create_group(project, f"Error {i}").id), range(count)))


def _cloned_groups(project: Any, count: int) -> list[int]:
    """``count`` copies of one new group's rows (group and inbox) under fresh ids, batch-written.

    Setup only: the local DynamoDB copies the whole table for every transaction, so creating a
    thousand groups one transaction at a time would take most of the run."""
    from shared.issues.groups import create_group
    from shared.sequences import allocate
    from shared.storage.base import BATCH_WRITE_LIMIT, chunked
    from shared.storage.issues import Group, IssueItem, group_pk, status_index_sk

    template = create_group(project, "Bulk")
    rows = list(IssueItem.query(group_pk(int(template.id))))
    ids = list(allocate("group", count))
    clones = []
    for group_id in ids:
        for row in rows:
            clone = type(row).from_raw_data(row.serialize())
            clone.pk = group_pk(group_id)
            if isinstance(clone, Group):
                clone.id = group_id
                clone.gsi1sk = status_index_sk(clone.last_seen, group_id)
            clones.append(clone)
    for chunk in chunked(clones, BATCH_WRITE_LIMIT):
        with IssueItem.batch_write() as batch:
            for clone in chunk:
                batch.save(clone)
    return ids


def main() -> None:
    moto, endpoint = start_process()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        provision(endpoint, public_url=base)
        from local.api import start_api_server
        from local.seed import seed_demo
        from shared.accounts.organizations import find_organization
        from shared.storage.accounts import Project

        demo = seed_demo()
        org = find_organization(demo.org)
        project = Project.get(*Project.key(int(org.id), demo.project))
        server = start_api_server("127.0.0.1", port)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {demo.token}"
        figures: dict[str, Any] = {}

        for name, body in SINGLE_BODIES.items():
            ids = _groups(project, REPEATS)
            runs = [_measure(lambda i=i, b=body: http.put(f"{base}/api/0/issues/{i}/", json=b)) for i in ids]
            assert all(r[2].status_code == 200 for r in runs), [r[2].text for r in runs]
            figures[f"put_{name}_requests"] = runs[-1][0]
            figures[f"put_{name}_p50_ms"] = round(statistics.median(r[1] for r in runs), 1)

        ids = _groups(project, REPEATS)
        gets = [_measure(lambda i=i: http.get(f"{base}/api/0/issues/{i}/")) for i in ids]
        figures["get_requests"] = gets[-1][0]
        figures["get_p50_ms"] = round(statistics.median(g[1] for g in gets), 1)
        list_url = f"{base}/api/0/projects/{demo.org}/{demo.project}/issues/"
        lists = [_measure(lambda: http.get(list_url, params={"per_page": "25"})) for _ in range(REPEATS)]
        figures["list_25_requests"] = lists[-1][0]
        figures["list_25_p50_ms"] = round(statistics.median(g[1] for g in lists), 1)

        bulk_url = f"{base}/api/0/organizations/{demo.org}/issues/"
        for size in SIZES:
            ids = _cloned_groups(project, size)
            params = [("id", str(i)) for i in ids]
            count, ms, response = _measure(
                lambda p=params: http.put(bulk_url, params=p, json={"status": "resolved"})
            )
            assert response.status_code == 200, response.text
            figures[f"bulk_resolve_{size}_requests"] = count
            figures[f"bulk_resolve_{size}_ms"] = round(ms, 1)
            if size > IGNORE_MAX:
                continue
            body = {"status": "ignored", "ignoreDuration": 60, "isBookmarked": True}
            count, ms, response = _measure(lambda p=params, b=body: http.put(bulk_url, params=p, json=b))
            assert response.status_code == 200, response.text
            figures[f"bulk_ignore_bookmark_{size}_requests"] = count
            figures[f"bulk_ignore_bookmark_{size}_ms"] = round(ms, 1)
        server.shutdown()
    finally:
        moto.terminate()
        moto.wait(timeout=10)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
