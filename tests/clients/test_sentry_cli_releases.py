"""The real sentry-cli release commands against the local API, end to end."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.clients.test_sentry_cli_info import sentry_cli
from tests.conftest import World, unique


def cli(base_url: str, world: World, *args: str, cwd: Path | None = None):
    return sentry_cli(base_url, world.token, world.org, *args, env={"SENTRY_PROJECT": world.project}, cwd=cwd)


def test_release_lifecycle_with_sentry_cli(base_url, world: World) -> None:
    version = unique("app") + "@1.0.0+build.7"
    created = cli(base_url, world, "releases", "new", version, "--url", "https://example.com/build/7")
    assert created.returncode == 0, created.stderr
    assert f"Created release {version}" in created.stdout

    info = cli(base_url, world, "releases", "info", version, "-P")
    assert info.returncode == 0, info.stderr
    assert version in info.stdout and world.project in info.stdout

    listed = cli(base_url, world, "releases", "list")
    assert listed.returncode == 0 and "(unreleased)" in listed.stdout

    finalized = cli(base_url, world, "releases", "finalize", version)
    assert finalized.returncode == 0, finalized.stderr
    assert f"Finalized release {version}" in finalized.stdout
    raw = cli(base_url, world, "releases", "list", "--raw")
    assert version in raw.stdout
    listed = cli(base_url, world, "releases", "list")
    assert "(unreleased)" not in listed.stdout

    archived = cli(base_url, world, "releases", "archive", version)
    assert archived.returncode == 0, archived.stderr
    restored = cli(base_url, world, "releases", "restore", version)
    assert restored.returncode == 0, restored.stderr

    deleted = cli(base_url, world, "releases", "delete", version)
    assert deleted.returncode == 0 and "Deleted release" in deleted.stdout
    again = cli(base_url, world, "releases", "delete", version)
    assert again.returncode == 0 and "Did nothing" in again.stdout
    missing = cli(base_url, world, "releases", "info", version)
    assert missing.returncode == 1 and missing.stdout == ""


def test_set_commits_and_clear_with_sentry_cli(base_url, world: World) -> None:
    headers = world.headers()
    repos_url = f"{base_url}/api/0/organizations/{world.org}/repos/"
    assert requests.post(repos_url, json={"name": "acme/backend"}, headers=headers).status_code == 201
    version = unique("sc")
    sha = "1234567890abcdef1234567890abcdef12345678"
    result = cli(base_url, world, "releases", "set-commits", version, "--commit", f"acme/backend@{sha}")
    assert result.returncode == 0, result.stderr + result.stdout
    info = cli(base_url, world, "releases", "info", version, "-C")
    assert sha in info.stdout

    range_result = cli(
        base_url, world, "releases", "set-commits", version, "--commit", f"ACME/backend@aaaa..{sha}"
    )
    assert range_result.returncode == 0, range_result.stderr

    cleared = cli(base_url, world, "releases", "set-commits", version, "--clear")
    assert cleared.returncode == 0, cleared.stderr
    commits = requests.get(
        f"{base_url}/api/0/organizations/{world.org}/releases/{version}/commits/", headers=headers
    ).json()
    assert commits == []

    unknown = cli(base_url, world, "releases", "set-commits", version, "--commit", f"other/repo@{sha}")
    assert unknown.returncode != 0 and "Unknown repo" in (unknown.stderr + unknown.stdout)
