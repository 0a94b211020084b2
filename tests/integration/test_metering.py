"""The request meters the cost tests rely on count only what the measured block caused: the
invocations of its own requests (and, when asked, the processing of the messages they sent), never
another request served meanwhile, nor a batch of someone else's messages."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import requests

from local.metering import count_requests
from tests.conftest import World, events_processed
from tests.integration.test_ingest_api import _auth, _event, _public_key, project_dsn


def test_the_consumers_work_is_counted_only_by_a_meter_that_asks(base_url, world: World) -> None:
    dsn, project_id = project_dsn(base_url, world)
    url = f"{base_url}/api/{project_id}/store/"
    with count_requests() as request_only, count_requests(background=True) as with_processing:
        assert requests.post(url, json=_event(), headers=_auth(_public_key(dsn))).ok
        events_processed()
    # the edge: the key and the queue; the processor's transaction is the consumer's
    assert request_only["SendMessage"] == 1 and "TransactWriteItems" not in request_only
    assert with_processing["SendMessage"] == 1 and with_processing["TransactWriteItems"] >= 1
    assert with_processing["BatchGetItem"] >= 1 and "BatchGetItem" not in request_only  # the hashes


def _meanwhile(other: Callable[[], None], measured: Callable[[], None], background: bool) -> Counter[str]:
    """Meter ``measured`` while another thread (no meter of its own) runs ``other`` to its end."""
    started, finished = threading.Event(), threading.Event()

    def run_other() -> None:
        started.wait()
        try:
            other()
        finally:
            finished.set()

    thread = threading.Thread(target=run_other)
    thread.start()
    with count_requests(background) as calls:
        started.set()
        measured()
        assert finished.wait(30)
    thread.join()
    return calls


def test_a_meter_does_not_count_a_concurrent_request(base_url, world: World) -> None:
    project_url = f"{base_url}/api/0/projects/{world.org}/{world.project}/"
    projects_url = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"

    def read() -> None:
        assert requests.get(project_url, headers=world.headers()).status_code == 200

    def create_projects() -> None:
        for name in ("Meanwhile A", "Meanwhile B", "Meanwhile C"):
            created = requests.post(projects_url, json={"name": name}, headers=world.headers())
            assert created.status_code == 201, created.text

    with count_requests() as alone:
        read()
    assert alone and "TransactWriteItems" not in alone
    assert _meanwhile(create_projects, read, background=False) == alone
    assert _meanwhile(create_projects, read, background=True) == alone


def test_a_background_meter_does_not_count_the_processing_of_others_events(base_url, world: World) -> None:
    dsn, project_id = project_dsn(base_url, world)
    url = f"{base_url}/api/{project_id}/store/"
    project_url = f"{base_url}/api/0/projects/{world.org}/{world.project}/"

    def read() -> None:
        assert requests.get(project_url, headers=world.headers()).status_code == 200

    def send_and_process() -> None:
        assert requests.post(url, json=_event(), headers=_auth(_public_key(dsn))).ok
        events_processed()

    events_processed()
    with count_requests() as alone:
        read()
    # the other thread's event is accepted and processed while the meter is open
    assert _meanwhile(send_and_process, read, background=True) == alone
