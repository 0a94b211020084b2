"""The real sentry-cli (from PyPI) lists repositories through the local API, across pages."""

from __future__ import annotations

import requests

from local.metering import count_requests
from shared.accounts.organizations import find_organization
from shared.releases.repositories import get_or_create_repositories
from tests.clients.test_sentry_cli_info import sentry_cli
from tests.conftest import World


def _rows(table: str) -> list[list[str]]:
    """The body rows of the CLI's table (``| Name | Provider | URL |``), cells stripped."""
    lines = [line for line in table.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


def test_repos_list_shows_every_repository_across_pages(base_url, world: World) -> None:
    body = {
        "name": "acme/backend",
        "url": "https://github.com/acme/backend",
        "provider": "integrations:github",
    }
    created = requests.post(
        f"{base_url}/api/0/organizations/{world.org}/repos/", json=body, headers=world.headers()
    )
    assert created.status_code == 201, created.text
    # 100 more: two pages of the default 100, so the CLI must follow the Link header's next cursor.
    names = [f"acme/service-{i:03d}" for i in range(100)]
    get_or_create_repositories(find_organization(world.org).id, names)

    with count_requests() as calls:
        result = sentry_cli(base_url, world.token, world.org, "repos", "list")
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert rows[0] == ["acme/backend", "GitHub", "https://github.com/acme/backend"]
    assert [row[0] for row in rows] == ["acme/backend", *names]
    assert all(row[1:] == ["Unknown Provider", "-"] for row in rows[1:])
    assert calls["Query"] == 2


def test_repos_list_of_an_organization_without_repositories(base_url, world: World) -> None:
    result = sentry_cli(base_url, world.token, world.org, "repos", "list")
    assert result.returncode == 0, result.stderr
    assert _rows(result.stdout) == []
