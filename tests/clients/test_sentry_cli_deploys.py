"""sentry-cli's deploy commands against the local API."""

from __future__ import annotations

import requests

from tests.clients.test_sentry_cli_releases import cli
from tests.conftest import World, unique


def test_deploys_new_and_list_with_sentry_cli(base_url, world: World) -> None:
    version = unique("dep")
    assert cli(base_url, world, "releases", "new", version).returncode == 0
    created = cli(
        base_url,
        world,
        *("deploys", "new", "-r", version, "-e", "production", "-n", "blue"),
        *("-u", "https://deploy.example.com/7"),
    )
    assert created.returncode == 0, created.stderr
    assert "Created new deploy blue for 'production'" in created.stdout
    assert cli(base_url, world, "deploys", "new", "-r", version, "-e", "staging").returncode == 0

    listed = cli(base_url, world, "deploys", "list", "-r", version)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    rows = [line for line in lines if line.startswith("| ") and "Environment" not in line]
    assert sorted(row.split("|")[1].strip() for row in rows) == ["production", "staging"]
    assert any("blue" in row for row in rows)

    release = requests.get(
        f"{base_url}/api/0/organizations/{world.org}/releases/{version}/", headers=world.headers()
    ).json()
    assert release["deployCount"] == 2 and release["lastDeploy"]["environment"] == "staging"

    refused = cli(base_url, world, "deploys", "new", "-r", version, "-e", "prod/eu")
    assert refused.returncode != 0 and "Invalid value for environment" in refused.stderr
    missing = cli(base_url, world, "deploys", "new", "-r", unique("nope"), "-e", "production")
    assert missing.returncode != 0
