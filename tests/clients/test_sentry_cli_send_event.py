"""``sentry-cli send-event`` (events from shell scripts and CI jobs) against the local API."""

from __future__ import annotations

import random
import string

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


def test_send_event_formats_the_message_with_its_arguments(base_url, http, world: World) -> None:
    """``-m`` with ``-a``: a ``logentry`` with params, which Sentry formats into the title, and
    groups by the template (other arguments count on the same issue)."""
    dsn, _ = project_dsn(base_url, world)
    marker = "".join(random.choices(string.ascii_lowercase[6:], k=12))  # nothing to parameterize
    for argument in ("argument", "another"):
        sent = sentry_cli(
            base_url,
            world.token,
            world.org,
            "send-event",
            "-m",
            f"second %s in {marker}",
            "-a",
            argument,
            env={"SENTRY_DSN": dsn},
        )
        assert sent.returncode == 0, sent.stderr

    events_processed()
    issues = http.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/issues/", headers=world.headers()
    ).json()
    [issue] = [i for i in issues if marker in i["title"]]
    titles = {f"second argument in {marker}", f"second another in {marker}"}
    assert issue["title"] in titles and issue["count"] == "2"
    latest = http.get(f"{base_url}/api/0/issues/{issue['id']}/events/latest/", headers=world.headers()).json()
    assert latest["title"] in titles
