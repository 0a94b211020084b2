"""``python -m local`` as a user starts it, in a subprocess: its printed token and DSN, and a
Ctrl-C (SIGINT) to stop it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from local.moto_server import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningSystem:
    base_url: str
    token: str
    dsn: str
    org: str
    project: str
    restored: bool

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def ingest(self) -> tuple[str, str]:
        """(envelope URL, public key) of the demo project, on the host its DSN names."""
        key, rest = self.dsn.split("//", 1)[1].split("@", 1)
        host, project_id = rest.rsplit("/", 1)
        return f"http://{host}/api/{project_id}/envelope/", key


@contextmanager
def running_system(data_dir: Path, **environment: str) -> Iterator[RunningSystem]:
    """Start the system keeping its data in ``data_dir``; stop it with a Ctrl-C on exit."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "INGEST_PORT": str(free_port()),
        "LOCAL_DATA_DIR": str(data_dir),
        **environment,
    }
    # this test process's own moto servers
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "PYTEST_CURRENT_TEST"):
        env.pop(key, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    banner: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        banner.append(line)
        if line.startswith("Press Ctrl-C"):
            break
    text = "".join(banner)
    assert "Press Ctrl-C" in text, text
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # keep draining
    found = {
        name: re.search(pattern, text).group(1)  # type: ignore[union-attr]
        for name, pattern in {
            "token": r"Token:\s+(\S+)",
            "dsn": r"SENTRY_DSN=(\S+)",
            "org": r"SENTRY_ORG=(\S+)",
            "project": r"SENTRY_PROJECT=(\S+)",
        }.items()
    }
    try:
        yield RunningSystem(f"http://127.0.0.1:{port}", restored="kept from the last run" in text, **found)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
