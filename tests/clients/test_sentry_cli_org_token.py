"""The release steps CI systems run, through the real sentry-cli with an organization token
(``sntrys_``, scope ``org:ci``) made by the admin CLI; what needs more than ``org:ci`` is refused
with Sentry's 403."""

from __future__ import annotations

import json

import pytest
import requests

from cli.admin import main
from tests.clients.test_sentry_cli_info import sentry_cli
from tests.conftest import World, unique

DENIED = "You do not have permission to perform this action."


@pytest.fixture
def org_token(capsys: pytest.CaptureFixture[str], base_url: str, world: World) -> str:
    assert main(["admin", "create-token", "--org", world.org, "--label", "ci"]) == 0
    token = json.loads(capsys.readouterr().out)["token"]
    assert token.startswith("sntrys_")
    return token


def _cli(base_url: str, world: World, token: str, *args: str):
    return sentry_cli(base_url, token, world.org, *args, env={"SENTRY_PROJECT": world.project})


def test_release_steps_with_an_organization_token(base_url: str, world: World, org_token: str) -> None:
    repos_url = f"{base_url}/api/0/organizations/{world.org}/repos/"
    assert requests.post(repos_url, json={"name": "acme/ci"}, headers=world.headers()).status_code == 201
    version = unique("ci") + "@2.0.0"
    sha = "abcdef0123456789abcdef0123456789abcdef01"

    def run(*args: str):
        result = _cli(base_url, world, org_token, *args)
        assert result.returncode == 0, result.stderr + result.stdout
        return result

    assert f"Created release {version}" in run("releases", "new", version).stdout
    run("releases", "set-commits", version, "--commit", f"acme/ci@{sha}")
    assert f"Finalized release {version}" in run("releases", "finalize", version).stdout
    deployed = run("deploys", "new", "-r", version, "-e", "production", "-n", "ci-run")
    assert "Created new deploy ci-run for 'production'" in deployed.stdout
    assert "production" in run("deploys", "list", "-r", version).stdout
    assert version in run("releases", "list", "--raw").stdout
    run("releases", "archive", version)

    stored = requests.get(
        f"{base_url}/api/0/organizations/{world.org}/releases/{version}/", headers=world.headers()
    ).json()
    assert stored["status"] == "archived" and stored["dateReleased"] and stored["deployCount"] == 1
    assert stored["lastCommit"]["id"] == sha


def test_steps_beyond_org_ci_are_refused_with_sentry_s_answer(
    base_url: str, world: World, org_token: str
) -> None:
    version = unique("ci")
    assert _cli(base_url, world, org_token, "releases", "new", version).returncode == 0
    deleted = _cli(base_url, world, org_token, "releases", "delete", version)
    assert deleted.returncode != 0
    assert f"{DENIED} (http status: 403)" in deleted.stderr
    projects = _cli(base_url, world, org_token, "projects", "list")
    assert projects.returncode != 0 and f"{DENIED} (http status: 403)" in projects.stderr

    headers = {"Authorization": f"Bearer {org_token}"}
    release_url = f"{base_url}/api/0/organizations/{world.org}/releases/{version}/"
    refused = requests.delete(release_url, headers=headers)
    assert (refused.status_code, refused.json()) == (403, {"detail": DENIED})
    assert requests.get(release_url, headers=headers).status_code == 200  # still there
    other = requests.get(f"{base_url}/api/0/organizations/{unique('org')}/releases/", headers=headers)
    assert (other.status_code, other.json()) == (404, {"detail": "The requested resource does not exist"})
