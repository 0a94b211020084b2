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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local.metering import measure
from local.system import local_system

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
    with local_system() as system:
        from shared.accounts.organizations import find_organization
        from shared.storage.accounts import Project

        base, demo = system.base_url, system.demo
        org = find_organization(demo.org)
        project = Project.get(*Project.key(int(org.id), demo.project))
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {demo.token}"
        figures: dict[str, Any] = {}

        for name, body in SINGLE_BODIES.items():
            ids = _groups(project, REPEATS)
            runs = [measure(lambda i=i, b=body: http.put(f"{base}/api/0/issues/{i}/", json=b)) for i in ids]
            assert all(r.result.status_code == 200 for r in runs), [r.result.text for r in runs]
            figures[f"put_{name}_requests"] = runs[-1].requests
            figures[f"put_{name}_p50_ms"] = round(statistics.median(r.ms for r in runs), 1)

        ids = _groups(project, REPEATS)
        gets = [measure(lambda i=i: http.get(f"{base}/api/0/issues/{i}/")) for i in ids]
        figures["get_requests"] = gets[-1].requests
        figures["get_p50_ms"] = round(statistics.median(g.ms for g in gets), 1)
        list_url = f"{base}/api/0/projects/{demo.org}/{demo.project}/issues/"
        lists = [measure(lambda: http.get(list_url, params={"per_page": "25"})) for _ in range(REPEATS)]
        figures["list_25_requests"] = lists[-1].requests
        figures["list_25_p50_ms"] = round(statistics.median(g.ms for g in lists), 1)

        bulk_url = f"{base}/api/0/organizations/{demo.org}/issues/"
        for size in SIZES:
            ids = _cloned_groups(project, size)
            params = [("id", str(i)) for i in ids]
            resolved = measure(lambda p=params: http.put(bulk_url, params=p, json={"status": "resolved"}))
            assert resolved.result.status_code == 200, resolved.result.text
            figures[f"bulk_resolve_{size}_requests"] = resolved.requests
            figures[f"bulk_resolve_{size}_ms"] = round(resolved.ms, 1)
            if size > IGNORE_MAX:
                continue
            body = {"status": "ignored", "ignoreDuration": 60, "isBookmarked": True}
            ignored = measure(lambda p=params, b=body: http.put(bulk_url, params=p, json=b))
            assert ignored.result.status_code == 200, ignored.result.text
            figures[f"bulk_ignore_bookmark_{size}_requests"] = ignored.requests
            figures[f"bulk_ignore_bookmark_{size}_ms"] = round(ignored.ms, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
