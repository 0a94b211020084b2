"""Benchmark event ingestion through the local API: events per second accepted for 1 and 8
concurrent senders, and the requests one event costs end to end (the edge, then the event
processor's batch of one) for a new group and for an existing one.

Envelopes are serialized by sentry-sdk's own Envelope class and gzip'd as the SDK sends them. It
starts its own moto server and local API, and prints the figures as one JSON object on its last line.
"""

from __future__ import annotations

import gzip
import json
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from sentry_sdk.envelope import Envelope

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local.background import queued_messages
from local.metering import measure
from local.system import local_system

EVENTS_PER_SENDER = {1: 150, 8: 40}


def _event(function: str) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "level": "error",
        "platform": "python",
        "release": "bench@1.0",
        "user": {"id": str(uuid.uuid4().int % 50)},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "bad input",
                    "stacktrace": {"frames": [{"module": "bench.app", "function": function, "in_app": True}]},
                }
            ]
        },
    }


def _body(function: str) -> bytes:
    envelope = Envelope(headers={"event_id": uuid.uuid4().hex})
    envelope.add_event(_event(function))
    return gzip.compress(envelope.serialize())


def main() -> None:
    with local_system(background=True) as system:
        base, demo = system.base_url, system.demo
        public_key, project_id = demo.dsn.split("//", 1)[1].split("@", 1)[0], demo.dsn.rsplit("/", 1)[1]
        url = f"{base}/api/{project_id}/envelope/"
        headers = {
            "X-Sentry-Auth": f"Sentry sentry_key={public_key}, sentry_version=7, sentry_client=bench/1.0",
            "Content-Encoding": "gzip",
            "Content-Type": "application/x-sentry-envelope",
        }
        local = threading.local()

        def send(function: str) -> None:
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            response = session.post(url, data=_body(function), headers=headers)
            assert response.status_code == 200, response.text

        def send_and_process(function: str) -> None:
            send(function)
            while queued_messages("EventsQueue"):
                time.sleep(0.02)

        figures: dict[str, Any] = {}
        new = measure(lambda: send_and_process("new_group"), background=True)
        figures["new_group_requests"] = new.requests
        figures["new_group_request_kinds"] = dict(new.calls)
        existing = measure(lambda: send_and_process("new_group"), background=True)
        figures["existing_group_requests"] = existing.requests
        figures["existing_group_request_kinds"] = dict(existing.calls)

        for senders, per_sender in EVENTS_PER_SENDER.items():
            total = senders * per_sender
            start = time.perf_counter()
            with ThreadPoolExecutor(senders) as pool:
                list(pool.map(lambda _: send("existing"), range(total)))
            elapsed = time.perf_counter() - start
            figures[f"existing_group_events_per_s_{senders}_senders"] = round(total / elapsed, 1)

            start = time.perf_counter()
            with ThreadPoolExecutor(senders) as pool:
                list(pool.map(lambda i, s=senders: send(f"new_{s}_{i}"), range(total // 2)))
            elapsed = time.perf_counter() - start
            figures[f"new_group_events_per_s_{senders}_senders"] = round((total // 2) / elapsed, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
