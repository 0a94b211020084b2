"""``sentry-cli releases set-commits --local`` from a real git repository: commits with their file
changes (patch_set) reach the release, and ``commitfiles`` lists them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import requests

from tests.clients.test_sentry_cli_releases import cli
from tests.conftest import World, unique


def _git(repo: Path, *args: str) -> str:
    environment = {
        "GIT_AUTHOR_NAME": "Jane Doe",
        "GIT_AUTHOR_EMAIL": "jane@example.com",
        "GIT_COMMITTER_NAME": "Jane Doe",
        "GIT_COMMITTER_EMAIL": "jane@example.com",
        "HOME": str(repo),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_set_commits_local_sends_commits_with_their_files(base_url, world: World, tmp_path: Path) -> None:
    repo = tmp_path / "app"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "app.py").write_text("print('one')\n")
    (repo / "old.txt").write_text("old\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "Initial commit")
    (repo / "app.py").write_text("print('two')\n")
    (repo / "new.py").write_text("x = 1\n")
    (repo / "old.txt").unlink()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Second commit")
    head = _git(repo, "rev-parse", "HEAD")

    version = unique("local")
    result = cli(base_url, world, "releases", "set-commits", version, "--local", cwd=repo)
    assert result.returncode == 0, result.stderr + result.stdout

    headers = world.headers()
    release_url = f"{base_url}/api/0/organizations/{world.org}/releases/{version}/"
    release = requests.get(release_url, headers=headers).json()
    assert release["commitCount"] == 2 and release["lastCommit"]["id"] == head
    assert release["authors"] == [{"name": "Jane Doe", "email": "jane@example.com"}]

    files = requests.get(release_url + "commitfiles/", headers=headers)
    assert files.status_code == 200, files.text
    changes = sorted((f["filename"], f["type"], f["commitMessage"].strip()) for f in files.json())
    assert changes == [
        ("app.py", "A", "Initial commit"),
        ("app.py", "M", "Second commit"),
        ("new.py", "A", "Second commit"),
        ("old.txt", "A", "Initial commit"),
        ("old.txt", "D", "Second commit"),
    ]
    assert {f["author"]["email"] for f in files.json()} == {"jane@example.com"}
