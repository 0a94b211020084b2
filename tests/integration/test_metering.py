"""The request meters the cost tests rely on: what the events queue's consumer spends meanwhile is
counted only by a meter that asks for it, so work left over from an earlier request cannot add to
a later request's figures."""

from __future__ import annotations

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
