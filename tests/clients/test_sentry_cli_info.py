"""The real sentry-cli (from PyPI) against the local API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from local.metering import request_headers
from tests.conftest import World

SENTRY_CLI = shutil.which("sentry-cli") or str(Path(sys.executable).parent / "sentry-cli")


def sentry_cli(
    base_url: str,
    token: str,
    org: str,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run sentry-cli configured as its users do, through environment variables (its requests carry
    the header that ties them to the meters open here, as this process's own requests do)."""
    environment = {
        **os.environ,
        "SENTRY_URL": base_url,
        "SENTRY_AUTH_TOKEN": token,
        "SENTRY_ORG": org,
        "SENTRY_DISABLE_UPDATE_CHECK": "true",
        "SENTRY_HTTP_MAX_RETRIES": "0",
        **(env or {}),
    }
    metered = [f"--header={name}:{value}" for name, value in request_headers().items()]
    return subprocess.run(
        [SENTRY_CLI, *metered, *args], env=environment, capture_output=True, text=True, timeout=60, cwd=cwd
    )


def test_info_reports_user_and_scopes(base_url, world: World) -> None:
    result = sentry_cli(base_url, world.token, world.org, "info")
    assert result.returncode == 0, result.stderr
    assert "Method: Auth Token" in result.stdout
    assert "User: " in result.stdout and "@example.com" in result.stdout
    assert "project:releases" in result.stdout


def test_info_config_status_with_a_bad_token(base_url, world: World) -> None:
    result = sentry_cli(base_url, "sntryu_" + "f" * 64, world.org, "info", "--config-status-json")
    status = json.loads(result.stdout)
    assert status["auth"]["successful"] is False
