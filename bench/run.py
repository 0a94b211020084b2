"""Benchmark the local system as users run it: the API with every queue consumer and schedule
running and the tables kept on disk, as ``make run`` starts it.

Latency (p50/p95) of the calls a user makes most (GET project, issue list, single issue PUT,
release PUT of metadata, envelope POST); events/s from 1 and 4 concurrent senders (one group, and
a new group per event), accepted and counted: events counted exactly on their issues ÷ (the send
window + the seconds after the last send until the last of them is counted); and the number of
mixed-up answers when 16 clients, each with its own token in one of two organizations, list,
bulk-update and send events at once (must be 0). Each section stops at its repeat count or its
time budget, whichever comes first, so a slow system still finishes in under two minutes. Prints
the figures as one JSON object on its last line; an event counted twice, or events not all
counted within ``COUNTED_BUDGET_S``, fail the bench (listed under ``failures``, exit status 1).
"""

from __future__ import annotations

import gzip
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import urllib3
from sentry_sdk.envelope import Envelope

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local.background import queued_messages
from local.system import local_system

LATENCY_REPEATS, LATENCY_BUDGET_S = 40, 10.0
THROUGHPUT_WINDOW_S = 5.0
# A burst of new issues is sent for a shorter time: each new issue costs more to count than an event
# of an existing one (its group, short id, inbox and hash claim; a batch's new issues are created
# together, docs/decisions.md §ingest.37), so a 5 s burst would take much of the bench's two
# minutes to count.
NEW_GROUP_WINDOW_S = 2.0
# Events are processed from a queue: how long after the last send they may take to be counted. A
# backlog left behind would be counted during (and disturb) the next section, so this is long enough
# for the new-group sections on this machine (docs/decisions.md §perf.7).
COUNTED_BUDGET_S = 40.0
COUNTED_POLL_S = 0.05
# Once the count is reached with the queue empty, it is read again after this long: a redelivered
# event counted a second time would show by then.
SETTLE_S = 1.0
EVENTS_QUEUE = "EventsQueue"
CLIENTS, CLIENT_ROUNDS, MIXED_BUDGET_S = 16, 4, 30.0


def _envelope(function: str) -> tuple[str, bytes]:
    """A gzip'd envelope as sentry-sdk sends it, and its event id."""
    event_id = uuid.uuid4().hex
    envelope = Envelope(headers={"event_id": event_id})
    envelope.add_event(
        {
            "event_id": event_id,
            "level": "error",
            "platform": "python",
            "exception": {
                "values": [
                    {
                        "type": "ValueError",
                        "value": "bad input",
                        "stacktrace": {
                            "frames": [{"module": "bench.run", "function": function, "in_app": True}]
                        },
                    }
                ]
            },
        }
    )
    return event_id, gzip.compress(envelope.serialize())


@dataclass
class Project:
    """A project reachable over HTTP: its org, slug, owner token and ingest endpoint."""

    base: str
    org: str
    slug: str
    token: str
    dsn: str

    @property
    def envelope_url(self) -> str:
        return f"{self.base}/api/{self.dsn.rsplit('/', 1)[1]}/envelope/"

    @property
    def ingest_headers(self) -> dict[str, str]:
        key = self.dsn.split("//", 1)[1].split("@", 1)[0]
        return {
            "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7, sentry_client=bench/1.0",
            "Content-Encoding": "gzip",
            "Content-Type": "application/x-sentry-envelope",
        }

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def send(self, transport: urllib3.PoolManager, function: str) -> urllib3.BaseHTTPResponse:
        """POST one event as sentry-sdk's transport does: through a urllib3 pool, not ``requests``."""
        event_id, body = _envelope(function)
        response = transport.request("POST", self.envelope_url, body=body, headers=self.ingest_headers)
        assert response.status == 200 and response.json() == {"id": event_id}, response.data
        return response


def _new_project(base: str, name: str) -> Project:
    """An organization with an owner token and one project (domain calls, as the seed makes them)."""
    from shared.accounts.organizations import add_member, create_organization
    from shared.accounts.teams import create_team
    from shared.accounts.users import create_user
    from shared.auth.access import Principal, organization_access
    from shared.auth.scopes import ROLE_SCOPES
    from shared.auth.tokens import create_user_token
    from shared.projects.keys import dsn, list_project_keys
    from shared.projects.service import create_project

    suffix = uuid.uuid4().hex[:8]
    user = create_user(f"{name}-{suffix}", f"{name}-{suffix}@example.com")
    org = create_organization(name, f"{name}-{suffix}")
    add_member(org, user.id, "owner")
    access = organization_access(Principal.acting_user(user.id), org.slug)
    team = create_team(access, "Team", None)
    project = create_project(access, team.slug, "App")
    token = create_user_token(user.id, set(ROLE_SCOPES["owner"]))
    return Project(base, org.slug, project.slug, token, dsn(list_project_keys(project)[0]))


def _timed(call: Callable[[int], requests.Response | urllib3.BaseHTTPResponse]) -> dict[str, float]:
    """p50/p95 in ms of ``call(i)`` repeated up to the repeat count or the time budget."""
    times: list[float] = []
    deadline = time.monotonic() + LATENCY_BUDGET_S
    for i in range(LATENCY_REPEATS):
        start = time.perf_counter()
        response = call(i)
        times.append((time.perf_counter() - start) * 1000)
        if isinstance(response, requests.Response):  # (an event's answer is checked by its sender)
            assert response.status_code == 200, response.text
        if time.monotonic() > deadline:
            break
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "n": len(ordered),
    }


def _events_counted(project: Project) -> int:
    """Events counted on the project's unresolved issues (``times_seen``), read from the table."""
    from shared.issues.enums import GroupStatus
    from shared.issues.status_index import status_groups

    project_id = int(project.dsn.rsplit("/", 1)[1])
    groups = status_groups(project_id, GroupStatus.UNRESOLVED, consistent_read=True)
    return sum(group.times_seen or 0 for group in groups)


class CountWrong(Exception):
    """The events sent were counted more than once, or not all of them in time."""


def _wait_counted(project: Project, expected: int) -> float:
    """Seconds from now until exactly ``expected`` events are counted on the project; raises
    ``CountWrong`` when more are counted, or fewer past the budget.

    The events queue is watched until it is empty (a cheap request) and only then are the issues
    read: reading every issue of the project 20 times a second was itself a load on the tables
    the processor writes to, growing with each new issue."""
    start = time.perf_counter()
    counted = None
    while True:
        if not queued_messages(EVENTS_QUEUE):
            counted = _events_counted(project)
            if counted > expected:
                raise CountWrong(f"{counted} events counted, {expected} sent")
            if counted == expected:
                break
        if time.perf_counter() - start > COUNTED_BUDGET_S:
            raise CountWrong(
                f"{counted} of {expected} events counted {COUNTED_BUDGET_S:.0f} s after the last send"
            )
        time.sleep(COUNTED_POLL_S)
    lag = round(time.perf_counter() - start, 2)
    time.sleep(SETTLE_S)
    if (again := _events_counted(project)) != expected:
        raise CountWrong(f"{again} events counted {SETTLE_S} s after the count of {expected} was reached")
    return lag


def _events_per_second(project: Project, senders: int, new_group: bool) -> tuple[float, float, float]:
    """Events accepted per second by ``senders`` concurrent senders during the window, the seconds
    after the last answer until every one of them is counted exactly on its issue, and the events
    counted per second over both (raises ``CountWrong`` for a wrong count)."""
    before = _events_counted(project)
    deadline = time.monotonic() + (NEW_GROUP_WINDOW_S if new_group else THROUGHPUT_WINDOW_S)
    start = time.perf_counter()

    def sender(index: int) -> int:
        transport, sent = urllib3.PoolManager(), 0  # one client's connection, kept open
        while time.monotonic() < deadline:
            project.send(transport, f"new_{index}_{sent}_{uuid.uuid4().hex}" if new_group else "one_group")
            sent += 1
        return sent

    with ThreadPoolExecutor(senders) as pool:
        total = sum(pool.map(sender, range(senders)))
    window = time.perf_counter() - start
    lag = _wait_counted(project, before + total)
    return round(total / window, 1), lag, round(total / (window + lag), 1)


def _issue_ids(project: Project, session: requests.Session) -> dict[str, list[int]]:
    """Two issues of ``project``, one left unresolved and one resolved: status → [id]."""
    before, transport = _events_counted(project), urllib3.PoolManager()
    for name in ("kept", "fixed"):
        project.send(transport, f"{name}_{project.org}")
    _wait_counted(project, before + 2)
    listed = session.get(
        f"{project.base}/api/0/projects/{project.org}/{project.slug}/issues/", headers=project.auth()
    )
    # by culprit (the function each was sent from): concurrent pollers may create them in any order
    ids = {issue["culprit"].rsplit(" ", 1)[-1].split("_", 1)[0]: int(issue["id"]) for issue in listed.json()}
    assert sorted(ids) == ["fixed", "kept"], listed.text
    resolved = session.put(
        f"{project.base}/api/0/issues/{ids['fixed']}/", json={"status": "resolved"}, headers=project.auth()
    )
    assert resolved.status_code == 200, resolved.text
    return {"unresolved": [ids["kept"]], "resolved": [ids["fixed"]]}


def _mixed_up_answers(projects: list[Project], issues: list[dict[str, list[int]]]) -> dict[str, int]:
    """16 clients at once, each with its own token, query and body; counts answers not their own."""
    wrong = {"list": 0, "bulk_put": 0, "envelope": 0, "bad_token": 0}
    answers = {"count": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + MIXED_BUDGET_S

    def client(index: int) -> None:
        project, own = projects[index % 2], issues[index % 2]
        status = ("resolved", "unresolved")[(index // 2) % 2]
        session = requests.Session()
        list_url = f"{project.base}/api/0/projects/{project.org}/{project.slug}/issues/"
        bulk_url = f"{project.base}/api/0/organizations/{project.org}/issues/"
        for round_ in range(CLIENT_ROUNDS):
            if time.monotonic() > deadline:
                return
            mistakes = {}
            listed = session.get(list_url, params={"query": f"is:{status}"}, headers=project.auth())
            mistakes["list"] = (
                listed.status_code != 200 or [int(i["id"]) for i in listed.json()] != own[status]
            )
            flag = (index + round_) % 2 == 0
            bulk = session.put(
                bulk_url, params={"id": own[status][0]}, json={"isBookmarked": flag}, headers=project.auth()
            )
            mistakes["bulk_put"] = bulk.status_code != 200 or bulk.json().get("isBookmarked") is not flag
            event_id, body = _envelope(f"kept_{project.org}")  # counts on the unresolved issue
            sent = session.post(project.envelope_url, data=body, headers=project.ingest_headers)
            mistakes["envelope"] = sent.status_code != 200 or sent.json() != {"id": event_id}
            refused = session.get(list_url, headers={"Authorization": f"Bearer {uuid.uuid4().hex}"})
            mistakes["bad_token"] = refused.status_code != 401
            with lock:
                answers["count"] += 4
                for kind, mistaken in mistakes.items():
                    wrong[kind] += int(mistaken)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    return {
        "answers": answers["count"],
        "mixed_up": sum(wrong.values()),
        **{f"mixed_up_{k}": v for k, v in wrong.items()},
    }


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as data_dir,
        local_system(background=True, schedule_seconds=10, data_dir=Path(data_dir), warm=True) as system,
    ):
        figures = measure_all(system.base_url)
    print(json.dumps(figures))
    if figures["failures"]:
        sys.exit(1)


def measure_all(base: str) -> dict[str, Any]:
    session, transport = requests.Session(), urllib3.PoolManager()
    first = _new_project(base, "bench-latency")
    [issue_id] = _issue_ids(first, session)["unresolved"]
    project_url = f"{base}/api/0/projects/{first.org}/{first.slug}/"
    releases = f"{base}/api/0/organizations/{first.org}/releases/"
    auth = first.auth()
    created = session.post(releases, json={"version": "bench@1.0", "projects": [first.slug]}, headers=auth)
    assert created.status_code == 201, created.text
    statuses = ("resolved", "unresolved")
    # every function's environments were started with the system, as `make run` starts them
    figures: dict[str, Any] = {
        "get_project": _timed(lambda i: session.get(project_url, headers=auth)),
        "issue_list": _timed(lambda i: session.get(f"{project_url}issues/", headers=auth)),
        "issue_put": _timed(
            lambda i: session.put(
                f"{base}/api/0/issues/{issue_id}/", json={"status": statuses[i % 2]}, headers=auth
            )
        ),
        "release_put": _timed(
            lambda i: session.put(f"{releases}bench@1.0/", json={"ref": f"r{i}"}, headers=auth)
        ),
        "envelope_post": _timed(lambda i: first.send(transport, "latency")),
    }
    figures["failures"] = []
    for senders in (1, 4):
        for kind, new_group in (("one_group", False), ("new_group", True)):
            # a project of its own, so that counting what the section sent reads only its issues
            project = _new_project(base, f"bench-{kind.replace('_', '-')}-{senders}")
            section = f"{kind}_{senders}_senders"
            try:
                accepted, lag, counted = _events_per_second(project, senders, new_group)
            except CountWrong as wrong:
                figures["failures"].append(f"{section}: {wrong}")
                continue
            figures[f"events_per_s_{section}"] = counted
            figures[f"accepted_per_s_{section}"] = accepted
            figures[f"counted_s_after_last_send_{section}"] = lag
    print(json.dumps(figures), file=sys.stderr, flush=True)  # the figures so far, should a later part fail
    # two organizations of their own: each project holds exactly one unresolved and one resolved issue
    pair = [_new_project(base, "bench-a"), _new_project(base, "bench-b")]
    figures.update(_mixed_up_answers(pair, [_issue_ids(project, session) for project in pair]))
    return figures


if __name__ == "__main__":
    main()
