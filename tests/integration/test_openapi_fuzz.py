"""Schemathesis over the served OpenAPI document, against the local API with an owner's token.

Every operation, a fixed seed and a bounded number of examples; the path parameters name a real
organization, team, project and release so that calls reach the handlers' logic. Checks: no 5xx,
every status documented, every body matching its documented schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.conftest import World, unique

SCHEMATHESIS = str(Path(sys.executable).parent / "st")


def test_the_api_holds_up_to_its_own_document(base_url: str, world: World, tmp_path: Path) -> None:
    version = unique("fuzz")
    created = requests.post(
        f"{base_url}/api/0/organizations/{world.org}/releases/",
        json={"version": version, "projects": [world.project]},
        headers=world.headers(),
    )
    assert created.status_code == 201
    # The document is built by its function's first request (every handler file parsed). Asked for
    # here first, without schemathesis's fixed 10 s limit on loading a schema: on a machine busy
    # with the other test worker's system starting, that first request has taken longer.
    document = requests.get(f"{base_url}/api/0/openapi.json", timeout=120)
    assert document.status_code == 200 and document.json()["paths"], document.text
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[parameters]\n"
        f'"path.org" = "{world.org}"\n'
        f'"path.project" = "{world.project}"\n'
        f'"path.team" = "{world.team}"\n'
        f'"path.version" = "{version}"\n'
        "[phases.coverage]\n"
        'unexpected-methods = ["PATCH"]\n'
    )
    result = subprocess.run(
        [
            SCHEMATHESIS,
            "--config-file",
            str(config),
            "run",
            f"{base_url}/api/0/openapi.json",
            "-H",
            f"Authorization: Bearer {world.token}",
            "--seed",
            "1",
            "-n",
            "3",
            "--checks",
            "not_a_server_error,status_code_conformance,response_schema_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--no-color",
            "--workers",
            "2",
            "--request-timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ},
        cwd=tmp_path,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-8000:]
    assert "0 generated" not in result.stdout and " passed" in result.stdout, result.stdout[-2000:]
