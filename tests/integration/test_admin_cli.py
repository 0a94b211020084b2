"""The operator CLI creates what the API then serves."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import boto3

from cli.admin import STACK_OUTPUTS, main
from shared.accounts.organizations import find_organization
from tests.conftest import unique


def _run(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_admin_cli_bootstraps_an_organization(capsys, http, base_url) -> None:
    name = unique("ops")
    _run(capsys, "admin", "create-user", "--username", name, "--email", f"{name}@example.com")
    org = _run(capsys, "admin", "create-org", "--slug", name, "--owner", name)
    team = _run(capsys, "admin", "create-team", "--org", name, "--user", name, "--name", "Core")
    _run(
        capsys,
        "admin",
        "create-project",
        "--org",
        name,
        "--user",
        name,
        "--team",
        team["slug"],
        "--name",
        "Api",
    )
    token = _run(capsys, "admin", "create-token", "--user", name, "--scopes", "project:read,org:read")[
        "token"
    ]

    response = http.get(
        f"{base_url}/api/0/projects/{name}/api/", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.json()["organization"]["id"] == org["id"]

    assert main(["admin", "create-org", "--slug", name]) == 1  # taken
    assert "409" in capsys.readouterr().err


def test_admin_cli_finds_the_tables_from_a_stack_s_outputs() -> None:
    """``--stack`` reads the deployed stack's outputs; nothing else tells it where the tables are."""
    name, stack = unique("ops"), unique("watchtower")
    settings_of_stack = {"PublicUrl": "https://sentry.example.test", "SnowflakeRegionId": "0"}
    outputs = {o: os.environ[v] for o, v in STACK_OUTPUTS.items() if o not in settings_of_stack}
    outputs |= settings_of_stack
    template = {
        "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {key: {"Value": str(value)} for key, value in outputs.items()},
    }
    boto3.client("cloudformation").create_stack(StackName=stack, TemplateBody=json.dumps(template))
    environment = {k: v for k, v in os.environ.items() if k not in STACK_OUTPUTS.values()}

    def admin(*argv: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "cli.admin", "admin", "--stack", stack, *argv],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    admin("create-user", "--username", name, "--email", f"{name}@example.com")
    org = admin("create-org", "--slug", name, "--owner", name)
    token = admin("create-token", "--org", name)["token"]

    assert find_organization(name) is not None and str(find_organization(name).id) == org["id"]
    payload = json.loads(base64.b64decode(token.removeprefix("sntrys_").split("_")[0] + "=="))
    assert payload["url"] == "https://sentry.example.test"
    assert payload["org"] == name

    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.admin",
            "admin",
            "--stack",
            unique("absent"),
            "create-org",
            "--slug",
            name,
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode != 0
    assert "does not exist" in missing.stderr
