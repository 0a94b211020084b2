"""Benchmark issue alerts through the local system as ``make run`` starts it (background workers,
the notifier polled like the other workers, warm environments): a rule "a new issue → webhook"
on a project, a webhook receiver in this process.

Measures (1) the seconds from sending an event of a new issue to its alert's webhook arriving,
``ALERTS`` times one after another (the goal: at most 5 s); (2) what evaluation adds to the
processor: the same burst of ``BURST`` new issues sent to a project without rules and to one
with the rule (DynamoDB requests, processing and delivery included), per issue; (3) a storm of
``STORM`` events of one issue (sent one after another) on each project, the rule's not firing
again: the DynamoDB reads and writes per event. Prints one JSON object last."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import Project, _new_project
from local.background import queued_messages
from local.metering import READS, WRITES, count_requests, unmetered
from local.system import local_system

ALERTS, BURST, STORM = 10, 40, 200
BUDGET_S = 60.0
FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"
WEBHOOK = {"id": "sentry.rules.actions.notify_event_service.NotifyEventServiceAction", "service": "webhooks"}
arrived: list[float] = []


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        arrived.append(time.perf_counter())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _rules(project: Project, hook: str | None) -> None:
    """The project's rules: none, or only "a new issue → the webhook at ``hook``"."""
    api = f"{project.base}/api/0/projects/{project.org}/{project.slug}"
    for rule in requests.get(f"{api}/rules/", headers=project.auth()).json():
        requests.delete(f"{api}/rules/{rule['id']}/", headers=project.auth()).raise_for_status()
    if hook is not None:
        requests.put(
            f"{api}/plugins/webhooks/", json={"urls": hook}, headers=project.auth()
        ).raise_for_status()
        rule = {
            "name": "New issue",
            "actionMatch": "all",
            "conditions": [{"id": FIRST_SEEN}],
            "actions": [WEBHOOK],
        }
        requests.post(f"{api}/rules/", json=rule, headers=project.auth()).raise_for_status()


def _idle() -> bool:
    with unmetered():
        return not queued_messages("EventsQueue") and not queued_messages("NotificationsQueue")


def _wait(condition: Any, what: str) -> None:
    deadline = time.perf_counter() + BUDGET_S
    while not condition():
        assert time.perf_counter() < deadline, what
        time.sleep(0.02)


def _latencies(project: Project) -> list[float]:
    transport, seconds = urllib3.PoolManager(), []
    for index in range(ALERTS):
        before = len(arrived)
        start = time.perf_counter()
        project.send(transport, f"alert_{index}_{uuid.uuid4().hex}")
        _wait(lambda before=before: len(arrived) > before, "an alert did not arrive")
        seconds.append(round(arrived[before] - start, 3))
    return seconds


def _requests(project: Project, functions: list[str]) -> dict[str, int]:
    transport = urllib3.PoolManager()
    with count_requests(background=True) as calls:
        for function in functions:
            project.send(transport, function)
        _wait(_idle, "the events were not processed")
        time.sleep(0.5)
    return {"reads": sum(calls[op] for op in READS), "writes": sum(calls[op] for op in WRITES)}


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        os.environ["LOCAL_MAIL_DIR"] = str(Path(data_dir) / "mail")
        with local_system(
            background=True, schedule_seconds=10, data_dir=Path(data_dir) / "data", warm=True
        ) as system:
            server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            hook = f"http://127.0.0.1:{server.server_port}/hook"
            alerting, quiet = (
                _new_project(system.base_url, name) for name in ("bench-alerts", "bench-quiet")
            )
            _rules(alerting, hook)
            _rules(quiet, None)
            latencies = _latencies(alerting)
            tag = uuid.uuid4().hex
            burst = [f"burst_{i}_{tag}" for i in range(BURST)]
            without = _requests(quiet, burst)
            before = len(arrived)
            with_rule = _requests(alerting, burst)
            fired = len(arrived) - before
            storm_quiet = _requests(quiet, [f"storm_{tag}"] * STORM)
            storm = _requests(alerting, [f"storm_{tag}"] * STORM)
            server.shutdown()
    ordered = sorted(latencies)
    print(
        json.dumps(
            {
                "alert_latency_s": latencies,
                "alert_latency_median_s": ordered[len(ordered) // 2],
                "alert_latency_max_s": ordered[-1],
                "goal_s": 5.0,
                "burst_new_issues": BURST,
                "burst_alerts_delivered": fired,
                "requests_per_new_issue_without_rules": {k: round(v / BURST, 2) for k, v in without.items()},
                "requests_per_new_issue_with_rule": {k: round(v / BURST, 2) for k, v in with_rule.items()},
                "storm_events": STORM,
                "storm_requests_per_event_without_rules": {
                    k: round(v / STORM, 3) for k, v in storm_quiet.items()
                },
                "storm_requests_per_event_with_rule": {k: round(v / STORM, 3) for k, v in storm.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
