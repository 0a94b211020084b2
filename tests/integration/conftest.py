"""Fixtures of the deletion-pipeline tests. ``shared`` is imported inside them, never at module
level: this file may load before the root conftest has started the moto server."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_deletion_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deletions run as soon as their job arrives (the local API runs in this process)."""
    from shared.issues import deletion

    monkeypatch.setattr(deletion, "deletion_delay", lambda: 0)


@pytest.fixture
def empty_deletion_queue() -> None:
    """Start from an empty deletion queue: jobs left by earlier tests run (they are idempotent)."""
    from tests.integration.deletion_support import run_worker_until_idle

    run_worker_until_idle()
