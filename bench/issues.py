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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.demo import cloned_groups, demo_api, new_groups
from local.metering import measure

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


def main() -> None:
    with demo_api() as api:
        base, demo, project, http = api.base, api.demo, api.project, api.http
        figures: dict[str, Any] = {}

        for name, body in SINGLE_BODIES.items():
            ids = new_groups(project, REPEATS)
            runs = [measure(lambda i=i, b=body: http.put(f"{base}/api/0/issues/{i}/", json=b)) for i in ids]
            assert all(r.result.status_code == 200 for r in runs), [r.result.text for r in runs]
            figures[f"put_{name}_requests"] = runs[-1].requests
            figures[f"put_{name}_p50_ms"] = round(statistics.median(r.ms for r in runs), 1)

        ids = new_groups(project, REPEATS)
        gets = [measure(lambda i=i: http.get(f"{base}/api/0/issues/{i}/")) for i in ids]
        figures["get_requests"] = gets[-1].requests
        figures["get_p50_ms"] = round(statistics.median(g.ms for g in gets), 1)
        list_url = f"{base}/api/0/projects/{demo.org}/{demo.project}/issues/"
        lists = [measure(lambda: http.get(list_url, params={"per_page": "25"})) for _ in range(REPEATS)]
        figures["list_25_requests"] = lists[-1].requests
        figures["list_25_p50_ms"] = round(statistics.median(g.ms for g in lists), 1)

        bulk_url = f"{base}/api/0/organizations/{demo.org}/issues/"
        for size in SIZES:
            ids = cloned_groups(project, size)
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
