"""The operator CLI creates what the API then serves."""

from __future__ import annotations

import json

from cli.admin import main
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
