"""Benchmark symbolication in the processor: CPU ms and AWS requests per JavaScript event, with the
map cache cold (a new container) and warm, and for a storm of one error in one batch.

A real app (with @sentry/node bundled in, so its map has a real app's size) is minified by esbuild,
its maps injected and uploaded by the real sentry-cli to the local system, and the event
@sentry/node builds for its error is resolved by ``shared.artifacts.symbolication`` in this process
(the code the processor runs before grouping). Prints one JSON object last."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.demo import demo_api
from local.metering import count_requests
from tests.clients.javascript import build_app, run_app

WARM_EVENTS = 200
STORM_EVENTS = 1000


def _sentry_cli(base: str, demo: Any, *args: str, cwd: Path) -> None:
    env = {
        **os.environ,
        "SENTRY_URL": base,
        "SENTRY_AUTH_TOKEN": demo.token,
        "SENTRY_ORG": demo.org,
        "SENTRY_PROJECT": demo.project,
        "SENTRY_DISABLE_UPDATE_CHECK": "true",
    }
    cli = Path(sys.executable).parent / "sentry-cli"
    subprocess.run([str(cli), *args], env=env, cwd=cwd, check=True, capture_output=True, timeout=120)


def _clear_caches() -> None:
    from shared.artifacts import symbolication

    for cache in (symbolication._index, symbolication._bundles, symbolication._parsed_files):
        cache.clear()  # a new container's


def _one(payload: dict[str, Any], project_id: int, org_id: int) -> tuple[float, int, dict[str, Any]]:
    from shared.artifacts.symbolication import symbolicate

    with count_requests() as calls:
        start = time.process_time()
        result = symbolicate(payload, project_id, org_id)
        cpu = (time.process_time() - start) * 1000
    return cpu, sum(calls.values()), result


def main() -> None:
    with demo_api() as api, tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        bundle = build_app(folder, with_sdk=True)
        _sentry_cli(api.base, api.demo, "sourcemaps", "inject", "dist", cwd=folder)
        _sentry_cli(api.base, api.demo, "sourcemaps", "upload", "dist", cwd=folder)
        printed = run_app(bundle, "http://key@127.0.0.1:9/1", release=None, print_event=True)
        payload = json.loads(printed.strip().splitlines()[-1])
        project_id, org_id = api.project.id, api.project.org_id

        _clear_caches()
        cold_cpu, cold_requests, resolved = _one(payload, project_id, org_id)
        innermost = resolved["exception"]["values"][-1]["stacktrace"]["frames"][-1]
        assert innermost["function"] == "computeTotal", innermost

        warm = [_one(payload, project_id, org_id) for _ in range(WARM_EVENTS)]
        plain = {**payload, "platform": "python"}  # the same event, not JavaScript: the floor
        floor = [_one(plain, project_id, org_id)[0] for _ in range(WARM_EVENTS)]

        _clear_caches()
        with count_requests() as storm_calls:
            start = time.process_time()
            for _ in range(STORM_EVENTS):
                _one(payload, project_id, org_id)
            storm_cpu = (time.process_time() - start) * 1000

        map_bytes = (folder / "dist" / "app.js.map").stat().st_size
        print(
            json.dumps(
                {
                    "map_bytes": map_bytes,
                    "bundle_js_bytes": bundle.stat().st_size,
                    "frames": len(resolved["exception"]["values"][-1]["stacktrace"]["frames"]),
                    "cold_cpu_ms": round(cold_cpu, 2),
                    "cold_requests": cold_requests,
                    "warm_cpu_ms_per_event": round(statistics.median(c for c, _, _ in warm), 3),
                    "warm_requests_per_event": sum(r for _, r, _ in warm) / WARM_EVENTS,
                    "not_javascript_cpu_ms_per_event": round(statistics.median(floor), 4),
                    "storm_events": STORM_EVENTS,
                    "storm_cpu_ms_per_event": round(storm_cpu / STORM_EVENTS, 3),
                    "storm_requests": dict(storm_calls),
                }
            )
        )


if __name__ == "__main__":
    main()
