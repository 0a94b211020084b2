"""Attachments through the local API: what keeping them costs at the edge and what reading them
costs, against the same event sent without them.

``SENDS`` envelopes with an event each are sent without attachments, then ``SENDS`` with a 2 KB
log and a 100 KB binary: the edge's AWS requests per envelope by operation (the metered call's)
and median wall time. Then each read is called ``REPEATS`` times on warm environments: an event's
list, an issue's list, one attachment's details and its download. The cost per million events
carrying the two attachments adds S3 PUTs, the index's write units and a month of storage. The
last line is one JSON object."""

from __future__ import annotations

import json
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cost import PRICES
from local.background import queued_messages
from local.metering import measure
from local.system import local_system

SENDS = 15
REPEATS = 7
LOG = b"2026-12-04 checkout: card declined for order 12345\n" * 40
BLOB = bytes(range(256)) * 400
INDEX_WRITE_UNITS = 1  # the index item of two attachments is far below 1 KB


def _envelope(with_attachments: bool) -> tuple[str, bytes]:
    event_id = uuid.uuid4().hex
    raw = json.dumps({"event_id": event_id, "message": "bench attachments", "platform": "python"}).encode()
    lines = [
        json.dumps({"event_id": event_id}).encode(),
        json.dumps({"type": "event", "length": len(raw)}).encode(),
        raw,
    ]
    if with_attachments:
        for name, payload in (("checkout.log", LOG), ("cart.bin", BLOB)):
            lines += [
                json.dumps({"type": "attachment", "length": len(payload), "filename": name}).encode(),
                payload,
            ]
    return event_id, b"\n".join(lines) + b"\n"


def _timed(name: str, calls: list[Any]) -> dict[str, Any]:
    timings, requests_by_operation = [], Counter()
    for call in calls:
        measured = measure(call)
        assert measured.result.status_code == 200, (name, measured.result.text)
        timings.append(measured.ms)
        requests_by_operation = measured.calls
    return {
        f"{name}_requests": sum(requests_by_operation.values()),
        f"{name}_requests_by_operation": dict(sorted(requests_by_operation.items())),
        f"{name}_p50_ms": round(statistics.median(timings[1:]), 1),
    }


def main() -> None:
    with local_system(background=True) as system:
        base, demo = system.base_url, system.demo
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {demo.token}"
        public_key, project_id = demo.dsn.split("//", 1)[1].split("@", 1)[0], demo.dsn.rsplit("/", 1)[1]
        url = f"{base}/api/{project_id}/envelope/"
        auth = {"X-Sentry-Auth": f"Sentry sentry_key={public_key}, sentry_version=7, sentry_client=bench/1.0"}
        figures: dict[str, Any] = {}
        for label, attached in (("ingest_without", False), ("ingest_with_two", True)):
            bodies = [_envelope(attached) for _ in range(SENDS)]
            figures |= _timed(label, [lambda b=b: http.post(url, data=b[1], headers=auth) for b in bodies])
        event_id = bodies[-1][0]
        while queued_messages("EventsQueue"):
            time.sleep(0.2)
        project = f"{base}/api/0/projects/{demo.org}/{demo.project}"
        listing = f"{project}/events/{event_id}/attachments/"
        attachments = http.get(listing).json()
        issue_id = http.get(f"{project}/events/{event_id}/").json()["groupID"]
        blob = next(a for a in attachments if a["name"] == "cart.bin")
        one = f"{listing}{blob['id']}/"
        downloaded = http.get(one, params={"download": "1"}).content
        assert downloaded == BLOB, len(downloaded)
        for name, call in (
            ("event_list", lambda: http.get(listing)),
            ("issue_list", lambda: http.get(f"{base}/api/0/issues/{issue_id}/attachments/")),
            ("details", lambda: http.get(one)),
            ("download_100kb", lambda: http.get(one, params={"download": "1"})),
        ):
            figures |= _timed(name, [call] * REPEATS)
        stored_gb = (len(LOG) + len(BLOB)) / 1e9
        figures["attachment_bytes_per_event"] = len(LOG) + len(BLOB)
        figures["keeping_cost_per_million_events_with_two_attachments_usd"] = round(
            2 * PRICES["s3_put_per_million"]
            + INDEX_WRITE_UNITS * PRICES["dynamodb_per_million_write_units"]
            + 1e6 * stored_gb * PRICES["s3_storage_per_gb_month"],
            2,
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
