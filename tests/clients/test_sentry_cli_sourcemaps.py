"""Source maps end to end: a real bundle minified by esbuild, uploaded with the real sentry-cli
(with ``sourcemaps inject``, and without it by release and URL), thrown from under @sentry/node,
and the issue's latest event showing the original file, line, function and source context."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import requests

from tests.clients.javascript import THROW_LINE, THROW_TEXT, build_app, run_app
from tests.clients.test_sentry_cli_info import sentry_cli
from tests.conftest import World, events_processed, unique
from tests.integration.test_ingest_api import project_dsn, project_groups


def _cli(base_url: str, world: World, *args: str, cwd: Path | None = None) -> Any:
    return sentry_cli(base_url, world.token, world.org, *args, env={"SENTRY_PROJECT": world.project}, cwd=cwd)


def _latest_frames(base_url: str, world: World, project_id: int) -> tuple[str, list[dict[str, Any]]]:
    """The issue's culprit (what grouping named it by) and its latest event's innermost frames."""
    events_processed()
    [group] = project_groups(project_id)
    assert group.title == "Error: Checkout total too high: 120"
    response = requests.get(f"{base_url}/api/0/issues/{group.id}/events/latest/", headers=world.headers())
    assert response.status_code == 200, response.text
    [exception] = [e for e in response.json()["entries"] if e["type"] == "exception"]
    return group.culprit, exception["data"]["values"][-1]["stacktrace"]["frames"]


def _assert_original(frames: list[dict[str, Any]], source: str) -> None:
    """The innermost frames are the original code; ``source``: the original file's resolved URL."""
    innermost = frames[-1]
    assert innermost["filename"] == "src/checkout.js" and innermost["absPath"] == source, innermost
    assert innermost["function"] == "computeTotal"
    assert innermost["lineNo"] == THROW_LINE
    assert [line for _, line in innermost["context"]] and dict(innermost["context"])[THROW_LINE] == THROW_TEXT
    caller = frames[-2]
    assert caller["filename"].endswith("src/main.js") and caller["function"] == "placeOrder"


def test_injected_debug_ids_resolve_frames(base_url: str, world: World, tmp_path: Path) -> None:
    bundle = build_app(tmp_path)
    injected = _cli(base_url, world, "sourcemaps", "inject", "dist", cwd=tmp_path)
    assert injected.returncode == 0, injected.stderr
    assert "//# debugId=" in bundle.read_text()

    uploaded = _cli(base_url, world, "sourcemaps", "upload", "dist", cwd=tmp_path)
    assert uploaded.returncode == 0, uploaded.stderr
    assert "File processing complete" in uploaded.stdout
    # The same files again: every chunk is on the server and the bundle is known by its checksum.
    again = _cli(base_url, world, "sourcemaps", "upload", "dist", cwd=tmp_path)
    assert again.returncode == 0 and "Nothing to upload" in again.stdout, again.stdout + again.stderr

    dsn, project_id = project_dsn(base_url, world)
    run_app(bundle, dsn, release=None)
    culprit, frames = _latest_frames(base_url, world, project_id)
    _assert_original(frames, str(tmp_path / "src" / "checkout.js"))  # beside the bundle
    # named by the original function and the SDK's module of the bundle, in Sentry's JavaScript form
    assert culprit == "computeTotal(app)", culprit


def test_release_and_url_resolve_frames_without_inject(base_url: str, world: World, tmp_path: Path) -> None:
    bundle = build_app(tmp_path)
    release = unique("web") + "@1.2.0"
    dist_url = "~" + str(bundle.parent)
    uploaded = _cli(
        base_url,
        world,
        "sourcemaps",
        "upload",
        "--release",
        release,
        "--url-prefix",
        dist_url,
        "dist",
        cwd=tmp_path,
    )
    assert uploaded.returncode == 0, uploaded.stderr
    assert f"Release: {release}" in uploaded.stdout.replace("> ", "")

    dsn, project_id = project_dsn(base_url, world)
    run_app(bundle, dsn, release=release)
    culprit, frames = _latest_frames(base_url, world, project_id)
    _assert_original(frames, "~" + str(tmp_path / "src" / "checkout.js"))  # as the map names it
    # named by the original function and the SDK's module of the bundle, in Sentry's JavaScript form
    assert culprit == "computeTotal(app)", culprit


def test_an_inline_map_resolves_frames_by_debug_id_and_by_release(
    base_url: str, world: World, tmp_path: Path
) -> None:
    """esbuild's ``--sourcemap=inline``: the map is a ``data:`` URL at the end of the minified file,
    which is all the bundle holds."""
    injected_dir, plain_dir = tmp_path / "injected", tmp_path / "plain"
    bundle = build_app(injected_dir, inline_map=True)
    assert "//# sourceMappingURL=data:application/json;base64," in bundle.read_text()
    assert not (injected_dir / "dist" / "app.js.map").exists()
    assert _cli(base_url, world, "sourcemaps", "inject", "dist", cwd=injected_dir).returncode == 0
    uploaded = _cli(base_url, world, "sourcemaps", "upload", "dist", cwd=injected_dir)
    assert uploaded.returncode == 0, uploaded.stderr
    dsn, project_id = project_dsn(base_url, world)
    run_app(bundle, dsn, release=None)
    _, frames = _latest_frames(base_url, world, project_id)
    _assert_original(frames, str(injected_dir / "src" / "checkout.js"))

    other = replace(world, project=_new_project(base_url, world))
    bundle = build_app(plain_dir, inline_map=True)
    release = unique("web") + "@2.0.0"
    prefix = "~" + str(bundle.parent)
    uploaded = _cli(
        base_url,
        other,
        "sourcemaps",
        "upload",
        "--release",
        release,
        "--url-prefix",
        prefix,
        "dist",
        cwd=plain_dir,
    )
    assert uploaded.returncode == 0, uploaded.stderr
    dsn, project_id = project_dsn(base_url, other)
    run_app(bundle, dsn, release=release)
    _, frames = _latest_frames(base_url, other, project_id)
    _assert_original(frames, "~" + str(plain_dir / "src" / "checkout.js"))


def _new_project(base_url: str, world: World) -> str:
    created = requests.post(
        f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/",
        json={"name": "Inline"},
        headers=world.headers(),
        timeout=60,
    )
    assert created.status_code == 201, created.text
    return created.json()["slug"]


def test_minified_frames_without_maps_stay_as_they_are(base_url: str, world: World, tmp_path: Path) -> None:
    bundle = build_app(tmp_path)
    dsn, project_id = project_dsn(base_url, world)
    run_app(bundle, dsn, release=None)
    culprit, frames = _latest_frames(base_url, world, project_id)
    innermost = frames[-1]
    assert "computeTotal" not in culprit
    assert innermost["filename"].endswith("dist/app.js") and innermost["lineNo"] <= 3


def test_debug_files_upload_is_refused_as_not_supported(base_url: str, world: World, tmp_path: Path) -> None:
    library = next(Path(p) for p in ("/usr/lib/x86_64-linux-gnu/libz.so.1", "/bin/ls") if Path(p).exists())
    shutil.copy(library, tmp_path / library.name)
    result = _cli(base_url, world, "debug-files", "upload", str(tmp_path))
    assert result.returncode != 0
    assert "not supported by this server" in result.stderr, result.stdout + result.stderr
