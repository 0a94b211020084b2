"""What operators see: each handler invocation publishes its business counts as one CloudWatch EMF
line (the ingestion edge none: SQS counts the events it queues), and every log line of an API
request carries API Gateway's request id as correlation id.

The handlers are invoked here as Lambda does (an API Gateway event and a context), in this process,
so their standard output — where Lambda's EMF and log lines go — can be read."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from functions.event_processor.app import handler as processor_handler
from functions.ingest.app import handler as ingest_handler
from functions.release_put.app import handler as release_put_handler
from local.gateway import HttpApi
from local.lambda_context import LocalContext
from local.template import routes
from shared.accounts.organizations import find_organization
from shared.http.handler import logger
from shared.ingest.queue import encode_event
from shared.issues.deletion.discard import discard_groups
from shared.issues.deletion.queue import delete_group_list
from shared.metrics import metrics
from shared.storage.base import utcnow
from shared.storage.issues import Group
from tests.conftest import World, events_processed, events_queue_record
from tests.integration.deletion_support import (
    acknowledge,
    deliver,
    owner_access,
    partition,
    populated_group,
    project_of,
    receive,
)


def _api_event(method: str, path: str, body: Any, headers: dict[str, str]) -> dict[str, Any]:
    """The payload 2.0 event the HTTP API hands the function for this request."""
    request = Request(
        EnvironBuilder(
            method=method,
            path=path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **headers},
        ).get_environ()
    )
    route = next(r for r in routes() if r.method == method and r.pattern.match(path))
    return HttpApi().event(request, route, path, route.pattern.match(path).groupdict())


def _published(capsys: pytest.CaptureFixture[str]) -> tuple[str, dict[str, float]]:
    """The namespace and metric → summed value of the EMF lines printed since the last call."""
    namespace, values = "", {}
    for line in capsys.readouterr().out.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if not isinstance(document, dict) or "_aws" not in document:
            continue
        for directive in document["_aws"]["CloudWatchMetrics"]:
            namespace = directive["Namespace"]
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                values[metric["Name"]] = values.get(metric["Name"], 0) + sum(
                    value if isinstance(value, list) else [value]
                )
    return namespace, values


@pytest.fixture
def store(base_url: str, world: World, http) -> tuple[int, dict[str, str]]:
    """The world's project id and the ``X-Sentry-Auth`` header of its DSN key."""
    response = http.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/keys/", headers=world.headers()
    )
    [key] = response.json()
    return int(key["projectId"]), {"X-Sentry-Auth": f"Sentry sentry_key={key['public']}, sentry_version=7"}


def _post_event(project_id: int, auth: dict[str, str], message: str) -> dict[str, Any]:
    event = _api_event(
        "POST",
        f"/api/{project_id}/store/",
        {"event_id": uuid.uuid4().hex, "level": "error", "message": message},
        auth,
    )
    response = ingest_handler(event, LocalContext("IngestFunction"))
    assert response["statusCode"] == 200, response["body"]
    assert logger.get_correlation_id() == event["requestContext"]["requestId"]
    return event


def _process(project_id: int, org_id: int, message: str) -> None:
    """The event processor's handler with one queued event, as the events queue delivers it."""
    payload = {"event_id": uuid.uuid4().hex, "level": "error", "message": message}
    record = events_queue_record(encode_event(project_id, org_id, utcnow(), payload))
    answer = processor_handler({"Records": [record]}, LocalContext("EventProcessorFunction"))
    assert answer == {"batchItemFailures": []}


def _org_id(world: World) -> int:
    org = find_organization(world.org)
    assert org is not None
    return org.id


def test_the_edge_writes_nothing_and_the_processor_counts_processed_and_new_groups(
    capsys, store, world: World
) -> None:
    """An accepted event is one message on the events queue, which SQS's own NumberOfMessagesSent
    counts: the edge writes no log line of its own (a line per event would cost CloudWatch Logs
    about $0.10 per million events)."""
    project_id, auth = store
    metrics.clear_metrics()
    capsys.readouterr()

    accepted = f"boom {uuid.uuid4().hex}"
    _post_event(project_id, auth, accepted)
    assert capsys.readouterr().out == ""
    events_processed()
    assert any(group.title == accepted for group in _groups(project_id))

    message = f"bang {uuid.uuid4().hex}"
    _process(project_id, _org_id(world), message)
    namespace, processed = _published(capsys)
    assert (namespace, processed) == ("Watchtower", {"EventsProcessed": 1, "GroupsCreated": 1})
    _process(project_id, _org_id(world), message)
    assert _published(capsys)[1] == {"EventsProcessed": 1}


def test_events_of_a_discarded_issue_count_as_dropped(capsys, store, world: World) -> None:
    project_id, auth = store
    message = f"noise {uuid.uuid4().hex}"
    _post_event(project_id, auth, message)
    events_processed()
    [group] = [g for g in _groups(project_id) if g.title == message]
    project_of(world, discard=True)
    discard_groups(owner_access(world), [group], actor_id=world.owner_id)
    metrics.clear_metrics()
    capsys.readouterr()

    _process(project_id, _org_id(world), message)
    assert _published(capsys)[1] == {"EventsDropped": 1}


def _groups(project_id: int) -> list[Group]:
    return list(Group.scan(Group.project_id == project_id))


def test_the_deletion_worker_counts_the_rows_it_deletes(
    capsys, world: World, no_deletion_delay: None, empty_deletion_queue: None
) -> None:
    group = populated_group(project_of(world), "doomed", world.owner_id)
    delete_group_list([group])
    rows = len(partition(group.id))
    metrics.clear_metrics()
    capsys.readouterr()

    # Only this group's job: a job of another test's discard may become visible meanwhile.
    messages = [m for m in receive() if group.id in json.loads(m["Body"]).get("group_ids", [])]
    assert messages
    assert deliver(messages) == set()
    acknowledge(messages)
    assert partition(group.id) == []
    assert _published(capsys)[1] == {"RowsDeleted": rows}


def test_a_release_update_is_counted_and_logged_under_its_request_id(
    capsys, base_url: str, world: World, http
) -> None:
    version = f"app@{uuid.uuid4().hex[:8]}"
    created = http.post(
        f"{base_url}/api/0/organizations/{world.org}/releases/",
        json={"version": version, "projects": [world.project]},
        headers=world.headers(),
    )
    assert created.status_code == 201, created.text
    metrics.clear_metrics()
    capsys.readouterr()

    event = _api_event(
        "PUT",
        f"/api/0/organizations/{world.org}/releases/{version}/",
        {"ref": "main"},
        world.headers(),
    )
    response = release_put_handler(event, LocalContext("ReleasePutFunction"))
    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"])["ref"] == "main"
    assert _published(capsys)[1] == {"ReleasesUpdated": 1}
    assert logger.get_correlation_id() == event["requestContext"]["requestId"]
