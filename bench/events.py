"""The event store through the local API: requests and latency of reading kept events.

Kept events: one issue's ``EVENTS`` events, kept in batches of ``BATCH`` (each batch also holding
events of ``OTHER_ISSUES`` other issues, as ordinary traffic mixes them), through the real
processor code (``store_batch``), the events the size of a real SDK's exception event. Then each
read is called ``REPEATS`` times through the local API on warm environments: its AWS requests by
operation (the metered call's), objects read (ranged GETs) and median wall time. The compressed
size an event takes on S3 is measured from the objects written. The last line is one JSON object."""

from __future__ import annotations

import json
import statistics
import sys
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.demo import demo_api
from local.metering import measure

EVENTS = 200
BATCH = 20
OTHER_ISSUES = 10
REPEATS = 7


def _payload(fingerprint: str, age: float) -> dict[str, Any]:
    """An SDK's exception event of about 8 KB of JSON: seven frames with source, request,
    contexts, tags, breadcrumbs."""
    from shared.storage.base import utcnow

    frames = [
        {
            "filename": f"shop/module_{i}.py",
            "abs_path": f"/srv/app/shop/module_{i}.py",
            "module": f"shop.module_{i}",
            "function": f"handler_{i}",
            "lineno": 40 + i,
            "in_app": i > 2,
            "pre_context": [f"    line = compute_{j}(request, cart)" for j in range(5)],
            "context_line": f"    return process_{i}(cart['items'][index])",
            "post_context": [f"    log.debug('after step {j}')" for j in range(5)],
            "vars": {"cart": "{'items': []}", "index": "3", "request": "<WSGIRequest: POST '/cart'>"},
        }
        for i in range(7)
    ]
    return {
        "event_id": uuid.uuid4().hex,
        "timestamp": (utcnow() - timedelta(seconds=age)).isoformat(),
        "platform": "python",
        "level": "error",
        "environment": "production",
        "release": "shop@4.2.0",
        "server_name": "web-3",
        "fingerprint": [fingerprint],
        "user": {"id": str(int(age) % 500), "email": f"user{int(age) % 500}@example.com"},
        "tags": {"customer": "acme", "region": "eu-west-1"},
        "contexts": {
            "os": {"name": "Linux", "version": "6.1.0"},
            "runtime": {"name": "CPython", "version": "3.13.1"},
            "trace": {"trace_id": uuid.uuid4().hex, "span_id": uuid.uuid4().hex[:16]},
        },
        "breadcrumbs": {
            "values": [
                {
                    "timestamp": 1764800000 + i,
                    "category": "query",
                    "message": f"SELECT * FROM t{i} WHERE id = %s",
                }
                for i in range(10)
            ]
        },
        "request": {
            "url": "https://shop.example.com/cart",
            "method": "POST",
            "headers": {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)", "Accept": "text/html"},
            "query_string": "step=2&coupon=SPRING",
        },
        "exception": {
            "values": [
                {
                    "type": "KeyError",
                    "value": "'sku'",
                    "mechanism": {"type": "django", "handled": False},
                    "stacktrace": {"frames": frames},
                }
            ]
        },
    }


def _keep(project: Any) -> tuple[str, list[str], int, int]:
    """The measured issue's fingerprint, its events' ids, the bytes written to S3 and the events
    written there."""
    from shared.config import settings
    from shared.ingest.batch import store_batch
    from shared.ingest.queue import encode_event
    from shared.storage.base import utcnow
    from shared.storage.objects import s3

    fingerprint = uuid.uuid4().hex
    others = [uuid.uuid4().hex for _ in range(OTHER_ISSUES)]
    ids: list[str] = []
    kept = 0
    before = _object_bytes(s3(), settings().events_bucket)
    for start in range(0, EVENTS, BATCH):
        payloads = [_payload(fingerprint, EVENTS - start - i) for i in range(BATCH)]
        payloads += [_payload(other, 1) for other in others]
        ids += [p["event_id"] for p in payloads[:BATCH]]
        kept += len(payloads)
        records = [
            {
                "messageId": uuid.uuid4().hex,
                "body": encode_event(project.id, project.org_id, utcnow(), payload),
            }
            for payload in payloads
        ]
        assert store_batch(records) == set()
    return fingerprint, ids, _object_bytes(s3(), settings().events_bucket) - before, kept


def _object_bytes(client: Any, bucket: str) -> int:
    total = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="events/"):
        total += sum(item["Size"] for item in page.get("Contents", []))
    return total


def _read(name: str, call: Any) -> dict[str, Any]:
    timings, calls = [], Counter()
    for _ in range(REPEATS):
        measured = measure(call)
        assert measured.result.status_code == 200, (name, measured.result.text)
        timings.append(measured.ms)
        calls = measured.calls
    return {
        f"{name}_requests": sum(calls.values()),
        f"{name}_objects_read": calls.get("GetObject", 0),
        f"{name}_requests_by_operation": dict(sorted(calls.items())),
        f"{name}_p50_ms": round(statistics.median(timings[1:]), 1),
    }


def main() -> None:
    with demo_api() as api:
        from shared.ingest.event import normalize_event
        from shared.ingest.grouping import event_hash
        from shared.storage.base import utcnow
        from shared.storage.group_state import GroupHash

        base, demo, http = api.base, api.demo, api.http
        fingerprint, ids, written, kept = _keep(api.project)
        hash_value = event_hash(normalize_event(_payload(fingerprint, 0), utcnow()))
        group_id = GroupHash.get(*GroupHash.key(api.project.id, hash_value)).group_id
        middle = ids[len(ids) // 2]
        issue = f"{base}/api/0/issues/{group_id}"
        project = f"{base}/api/0/projects/{demo.org}/{demo.project}"
        figures: dict[str, Any] = {"events_kept": kept}
        figures |= _read(
            "eventids", lambda: http.get(f"{base}/api/0/organizations/{demo.org}/eventids/{middle}/")
        )
        figures |= _read("issue_event", lambda: http.get(f"{issue}/events/{middle}/"))
        figures |= _read("project_event", lambda: http.get(f"{project}/events/{middle}/"))
        figures |= _read("latest_event", lambda: http.get(f"{issue}/events/latest/"))
        figures |= _read("issue_page_50", lambda: http.get(f"{issue}/events/", params={"per_page": "50"}))
        page = {"per_page": "50", "full": "true"}
        figures |= _read("issue_page_50_full", lambda: http.get(f"{issue}/events/", params=page))
        figures |= _read("project_page_50", lambda: http.get(f"{project}/events/", params={"per_page": "50"}))
        listed = http.get(f"{issue}/events/", params={"per_page": "100"}).json()
        assert len(listed) == 100, len(listed)
        figures["compressed_bytes_per_event"] = round(written / kept)
        figures["json_bytes_per_event"] = round(len(json.dumps(_payload(fingerprint, 0))))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
