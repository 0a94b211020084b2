"""Fixtures of the deletion-pipeline tests. ``shared`` is imported inside them, never at module
level: this file may load before the root conftest has started the moto server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.conftest import World, wait_until

if TYPE_CHECKING:
    from shared.storage.accounts import Project


@pytest.fixture
def no_deletion_delay(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Deletions run as soon as their job arrives: the API's functions get the setting in their
    environment (new environments start with it), this process re-reads its settings."""
    from shared.config import settings

    monkeypatch.setenv("DELETION_DELAY_SECONDS", "0")
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


@pytest.fixture
def empty_deletion_queue() -> None:
    """Start from an empty deletion queue: jobs left by earlier tests run (they are idempotent),
    including those still delayed (a deletion's job waits ``DELETION_DELAY_SECONDS``), which would
    otherwise appear in the middle of the test."""
    import boto3

    from tests.integration.deletion_support import queue_url, run_worker_until_idle

    def drained() -> bool:
        run_worker_until_idle()
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"]
        counts = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url(), AttributeNames=names)
        return not any(int(n) for n in counts["Attributes"].values())

    wait_until(drained, timeout=30, what="the deletion queue (delayed jobs included) drained")


@pytest.fixture
def project(world: World) -> Project:
    """The world's project, as stored."""
    from shared.accounts.organizations import find_organization
    from shared.storage.accounts import Project

    org = find_organization(world.org)
    assert org is not None
    return Project.get(*Project.key(org.id, world.project))


@pytest.fixture
def target(base_url: str, world: World) -> tuple[str, str, int]:
    """(envelope URL, public key, project id) of the world's project."""
    from tests.integration.test_ingest_api import _public_key, project_dsn

    dsn, project_id = project_dsn(base_url, world)
    return f"{base_url}/api/{project_id}/envelope/", _public_key(dsn), project_id
