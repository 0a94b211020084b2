"""Locked moto servers per test process (one for DynamoDB, one for SQS, as ``make run`` starts
them), provisioned from the template, and the local API on them.

The server is started in ``pytest_configure`` — before any test module imports ``shared`` — because
PynamoDB models read their table names from the environment when first imported. The API's handlers
run in Lambda-like worker processes (``local.lambda_pool``): patching Python code in this process
does not reach them; their behaviour is configured through environment variables (a changed value
starts new environments, as a configuration change does on Lambda)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import pytest
import requests

if TYPE_CHECKING:
    from local.lambda_pool import LocalLambda

T = TypeVar("T")
_moto: subprocess.Popen[bytes] | None = None
_dynamodb: subprocess.Popen[bytes] | None = None
_proxy: subprocess.Popen[bytes] | None = None
_api_port = 0
_ingest_port = 0  # the ingestion function's URL, the host DSNs name
# Where tests arm DynamoDB faults (local.faults): DynamoDB's moto server, or a proxy before DynamoDB Local.
faults_url = ""


def pytest_configure(config: pytest.Config) -> None:
    global _moto, _dynamodb, _proxy, _api_port, _ingest_port, faults_url
    from local.dynamodb_local import selected, start_dynamodb
    from local.faults import start_proxy
    from local.moto_server import free_port, start_process
    from local.resources import provision

    # The request counts the tests pin are a call's full cost; the caller memory's own tests
    # (tests/integration/test_auth_cache.py) turn it on.
    os.environ["AUTH_CACHE_SECONDS"] = "0"
    # alert email the moto server's SES is sent, as .eml files (local.mail_outbox)
    os.environ["LOCAL_MAIL_DIR"] = tempfile.mkdtemp(prefix="watchtower-mail-")
    _moto, endpoint = start_process()
    _dynamodb, dynamodb_url = start_dynamodb()
    if selected():
        _proxy, dynamodb_url = start_proxy(dynamodb_url)
    faults_url = dynamodb_url
    _api_port, _ingest_port = free_port(), free_port()
    provision(
        endpoint,
        public_url=f"http://127.0.0.1:{_api_port}",
        dynamodb_url=dynamodb_url,
        ingest_url=f"http://127.0.0.1:{_ingest_port}",
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    from local.dynamodb_local import stop

    stop(_proxy)
    stop(_dynamodb)
    if _moto is not None:
        _moto.terminate()
        _moto.wait(timeout=10)


@pytest.fixture(scope="session")
def local_lambda() -> Iterator[LocalLambda]:
    """The Lambda pools behind the local API (environments start on first use)."""
    from local.lambda_pool import LocalLambda

    service = LocalLambda()
    yield service
    service.close()


@pytest.fixture(scope="session")
def base_url(local_lambda: LocalLambda) -> Iterator[str]:
    """The local API (same handlers and routes as the template) on a free port, and the ingestion
    function's URL (which the DSNs name) on another, with the events queue's consumer running as on
    AWS (the other queues are drained by the tests that need them)."""
    from local.api import start_api_server
    from local.background import Background
    from local.function_url import start_function_url_server

    server = start_api_server("127.0.0.1", _api_port, local_lambda)
    servers = [server, start_function_url_server("127.0.0.1", _ingest_port, local_lambda)]
    for each in servers:
        threading.Thread(target=each.serve_forever, daemon=True).start()
    processor = Background(local_lambda.invoke, only_queues=frozenset({EVENTS_QUEUE}))
    processor.start()
    yield f"http://127.0.0.1:{server.server_port}"
    processor.stop()
    for each in servers:
        each.shutdown()
        each.server_close()


EVENTS_QUEUE = "EventsQueue"


def wait_until(check: Callable[[], T], timeout: float = 15.0, what: str = "the condition") -> T:
    """Poll ``check`` until it returns something truthy (returned), failing after ``timeout``:
    events are processed from a queue, a moment after the answer that accepted them."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what} did not hold within {timeout} s"
        time.sleep(0.05)
    return result


def events_processed(timeout: float = 15.0) -> None:
    """Wait until every event accepted so far has been processed: the events queue holds none,
    waiting or in flight (its consumer deletes a message once stored)."""
    from local.background import queued_messages

    wait_until(lambda: queued_messages(EVENTS_QUEUE) == 0, timeout, "an empty events queue")


def events_queue_record(body: str) -> dict[str, object]:
    """An SQS record of the events queue as Lambda hands it to the processor, carrying ``body``."""
    return {
        "messageId": uuid.uuid4().hex,
        "receiptHandle": uuid.uuid4().hex,
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:EventsQueue",
        "awsRegion": "us-east-1",
    }


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class World:
    """An organization with an owner (``token``), a team and a project, all uniquely named."""

    org: str
    team: str
    project: str
    owner_id: int
    token: str

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}


def make_user(scopes: set[str] | None = None) -> tuple[int, str]:
    """A user and a token for it (all of the owner role's scopes unless told otherwise)."""
    from shared.accounts.users import create_user
    from shared.auth.scopes import ROLE_SCOPES
    from shared.auth.tokens import create_user_token

    name = unique("user")
    user = create_user(name, f"{name}@example.com")
    token = create_user_token(user.id, scopes or set(ROLE_SCOPES["owner"]))
    return user.id, token


@pytest.fixture
def world() -> World:
    return make_world()


def make_world() -> World:
    """A new organization with an owner, a team and a project."""
    from shared.accounts.organizations import add_member, create_organization
    from shared.accounts.teams import create_team
    from shared.auth.access import Principal, organization_access
    from shared.projects.service import create_project

    owner_id, token = make_user()
    org = create_organization("Test Org", unique("org"))
    add_member(org, owner_id, "owner")
    access = organization_access(Principal.acting_user(owner_id), org.slug)
    team = create_team(access, "Backend", None)
    project = create_project(access, team.slug, "Web App")
    return World(org.slug, team.slug, project.slug, owner_id, token)


@pytest.fixture
def http() -> requests.Session:
    return requests.Session()
