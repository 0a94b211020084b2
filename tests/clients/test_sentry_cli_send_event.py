"""``sentry-cli send-event`` (events from shell scripts and CI jobs) against the local API."""

from __future__ import annotations

from tests.clients.test_sentry_cli_info import sentry_cli
from tests.conftest import World, events_processed, unique
from tests.integration.test_ingest_api import project_dsn


def test_send_event_creates_an_issue_and_counts_repeats(base_url, http, world: World) -> None:
    dsn, _ = project_dsn(base_url, world)
    message = unique("nightly backup failed")
    for _ in range(2):
        sent = sentry_cli(
            base_url,
            world.token,
            world.org,
            "send-event",
            "-m",
            message,
            "--level",
            "warning",
            env={"SENTRY_DSN": dsn},
        )
        assert sent.returncode == 0, sent.stderr
        assert "Event dispatched" in sent.stdout

    events_processed()
    issues = http.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/issues/", headers=world.headers()
    ).json()
    [issue] = [i for i in issues if i["title"] == message]
    assert (issue["count"], issue["level"], issue["type"]) == ("2", "warning", "default")
