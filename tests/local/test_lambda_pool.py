"""Lambda's concurrency model: one event per environment at a time, more environments for more
concurrent events, environments reused when idle, retired on a configuration change or a crash."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from local.lambda_pool import FunctionSpec, InvocationFailed, LocalLambda

HANDLER = "tests.local.lambda_handlers.report"


@pytest.fixture
def service(tmp_path: Path):
    log = (tmp_path / "environments.log").open("w")
    functions = {name: FunctionSpec(name, HANDLER) for name in ("First", "Second")}
    service = LocalLambda(functions, limit=4, output=log)
    yield service
    service.close()
    log.close()


def _logs(tmp_path: Path) -> list[dict]:
    lines = (tmp_path / "environments.log").read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_concurrent_events_run_in_separate_environments_which_are_then_reused(
    service: LocalLambda, tmp_path: Path
) -> None:
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda i: service.invoke("First", {"sleep": 1.0, "tag": i}), range(3)))
    assert [r["tag"] for r in results] == [0, 1, 2]
    concurrent_pids = {r["pid"] for r in results}
    assert len(concurrent_pids) == 3  # never two events in one interpreter at once
    sequential = [service.invoke("First", {"tag": f"s{i}"})["pid"] for i in range(3)]
    assert set(sequential) <= concurrent_pids and len(set(sequential)) == 1  # an idle one is reused
    other = service.invoke("Second", {"tag": "other"})
    assert other["pid"] not in concurrent_pids  # functions never share an environment
    assert service.pool("First").started == 3 and service.pool("Second").started == 1

    logs = _logs(tmp_path)
    by_tag = {entry["tag"]: entry for entry in logs}
    for result in [*results, other]:
        entry = by_tag[result["tag"]]
        assert entry["function_request_id"] == result["request_id"]
        assert entry["function_name"] == ("Second" if result is other else "First")
    assert len({entry["function_request_id"] for entry in logs}) == len(logs) == 7


def test_a_configuration_change_starts_new_environments(
    service: LocalLambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELETION_DELAY_SECONDS", "7")
    before = service.invoke("First", {})
    assert before["setting"] == "7"
    monkeypatch.setenv("DELETION_DELAY_SECONDS", "0")
    after = service.invoke("First", {})
    assert after["setting"] == "0" and after["pid"] != before["pid"]
    assert service.invoke("First", {})["pid"] == after["pid"]


def test_a_failing_handler_keeps_its_environment_and_a_crashed_one_is_replaced(service: LocalLambda) -> None:
    first = service.invoke("First", {})["pid"]
    with pytest.raises(InvocationFailed, match="ValueError: handler failed"):
        service.invoke("First", {"raise": True})
    assert service.invoke("First", {})["pid"] == first
    with pytest.raises(InvocationFailed, match="environment exited"):
        service.invoke("First", {"crash": True})
    replaced = service.invoke("First", {"tag": "after"})
    assert replaced["pid"] != first and replaced["tag"] == "after"


def test_beyond_the_limit_events_wait_for_a_free_environment(tmp_path: Path) -> None:
    service = LocalLambda({"Only": FunctionSpec("Only", HANDLER)}, limit=2)
    try:
        with ThreadPoolExecutor(5) as pool:
            results = list(pool.map(lambda i: service.invoke("Only", {"sleep": 0.3, "tag": i}), range(5)))
        assert [r["tag"] for r in results] == list(range(5))
        assert len({r["pid"] for r in results}) == 2 and service.pool("Only").started == 2
    finally:
        service.close()


def test_warmed_functions_serve_their_first_event_from_the_started_environment(service: LocalLambda) -> None:
    service.warm()
    assert {name: service.pool(name).started for name in ("First", "Second")} == {"First": 1, "Second": 1}
    [warmed] = service.pool("First").idle
    assert warmed.ready  # warming returns once the handlers are imported: no request waits for it
    first = service.invoke("First", {"tag": "first"})
    assert first["pid"] == warmed.process.pid  # no second cold start
    assert service.pool("First").started == 1


def test_a_function_warmed_for_bursts_serves_a_burst_without_a_cold_start(service: LocalLambda) -> None:
    service.warm({"First": 3, "Second": 99})
    warmed = {environment.process.pid for environment in service.pool("First").idle}
    assert len(warmed) == 3
    assert service.pool("Second").started == 4  # never beyond the cap
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda i: service.invoke("First", {"sleep": 0.5, "tag": i}), range(3)))
    assert {r["pid"] for r in results} == warmed  # three at once, each in an environment started before
    assert service.pool("First").started == 3
    service.warm({"First": 3})  # already there: nothing more starts
    assert service.pool("First").started == 3
