"""The ingestion edge: what it answers at once (key from the container's memory, 429 with
Retry-After over the project's rate or when the queue refuses, 413 above what a queued message
can carry) and that a refused event is never stored."""

from __future__ import annotations

import os
import time

import pytest
import requests

from local.metering import count_requests
from shared.projects.keys import get_project_key
from tests.integration.test_ingest_api import _auth, _envelope, _event, _event_item, project_groups


def _post(target, **fields) -> requests.Response:
    url, public_key, _ = target
    return requests.post(url, data=_envelope(_event_item(_event(**fields))), headers=_auth(public_key))


def test_a_project_over_its_rate_is_told_when_to_retry(target, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_PROJECT_RATE_LIMIT", "1")  # new environments start with it
    answers = [_post(target) for _ in range(12)]
    refused = [a for a in answers if a.status_code == 429]
    accepted = [a for a in answers if a.status_code == 200]
    assert refused and accepted and len(refused) + len(accepted) == len(answers)
    assert refused[0].json() == {"detail": "Event submission rejected: the project is over its rate limit"}
    assert int(refused[0].headers["Retry-After"]) >= 1
    monkeypatch.undo()
    [group] = project_groups(target[2])
    assert group.times_seen == len(accepted)  # what was refused is not stored


def test_a_queue_that_refuses_makes_a_429(target, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = os.environ["EVENTS_QUEUE_URL"].rsplit("/", 1)[0] + "/NoSuchQueue"
    monkeypatch.setenv("EVENTS_QUEUE_URL", missing)
    answer = _post(target)
    assert answer.status_code == 429, answer.text
    assert answer.json() == {"detail": "Event submission rejected: the queue is not accepting events"}
    assert int(answer.headers["Retry-After"]) > 0
    monkeypatch.undo()
    assert project_groups(target[2]) == []


def test_an_event_too_large_to_queue_is_413_and_stores_nothing(target) -> None:
    noise = os.urandom(300_000).hex()  # incompressible: well above a queued message's 256 KB
    answer = _post(target, extra={"dump": noise})
    assert answer.status_code == 413, answer.text
    assert answer.json()["detail"].startswith("Event too large")
    assert project_groups(target[2]) == []


def test_a_warm_edge_remembers_the_key_and_a_disabled_key_stops_within_its_time(
    target, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_CACHE_SECONDS", "300")  # new environments start with it
    assert _post(target).status_code == 200  # an environment with this configuration knows the key
    with count_requests() as warm:
        assert _post(target).status_code == 200
    assert warm == {"SendMessage": 1}  # no read of the key
    ttl = 1.0
    monkeypatch.setenv("AUTH_CACHE_SECONDS", str(ttl))
    assert _post(target).status_code == 200
    key = get_project_key(target[1])
    key.update(actions=[type(key).is_active.set(False)])
    deadline = time.monotonic() + ttl + 5.0  # the memory's time, and a margin for a slow machine
    while (answer := _post(target)).status_code != 403:
        assert answer.status_code == 200 and time.monotonic() < deadline
        time.sleep(0.1)
    assert answer.json() == {"detail": "This DSN key is disabled"}
