"""Benchmark the release flows through the local API: DynamoDB requests and latency per call.

The release PUT is the seed flow; its cost is dominated by set_commits, whose batching (repositories,
authors and commits read 100 at a time, new commits created in conditional transactions of 100,
release-commit rows written 25 at a time) is what this script keeps honest. It starts its own moto
server and local API, and prints the figures as one JSON object on its last line.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.demo import demo_api
from local.metering import measure

SIZES = (10, 100, 1000)
REPEATS = 5


def _commits(size: int) -> list[dict[str, str]]:
    """``size`` distinct commits over three repositories and twenty authors."""
    return [
        {
            "id": f"{size:04d}{i:036x}",
            "repository": f"acme/repo{i % 3}",
            "message": f"change {i}",
            "author_email": f"dev{i % 20}@example.com",
            "author_name": f"Dev {i % 20}",
            "timestamp": f"2026-01-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
        }
        for i in range(size)
    ]


def main() -> None:
    with demo_api() as api:
        base, demo, http = api.base, api.demo, api.http
        releases = f"{base}/api/0/organizations/{demo.org}/releases/"
        figures: dict[str, Any] = {}

        def create(i: int) -> requests.Response:
            return http.post(releases, json={"version": f"b{i}", "projects": [demo.project]})

        creates = [measure(lambda i=i: create(i)) for i in range(REPEATS)]
        figures["create_requests"] = creates[-1].requests
        figures["create_p50_ms"] = round(statistics.median(c.ms for c in creates), 1)

        puts = [
            measure(lambda i=i: http.put(f"{releases}b{i}/", json={"ref": f"r{i}"})) for i in range(REPEATS)
        ]
        figures["put_metadata_requests"] = puts[-1].requests
        figures["put_metadata_p50_ms"] = round(statistics.median(p.ms for p in puts), 1)

        gets = [measure(lambda i=i: http.get(f"{releases}b{i}/")) for i in range(REPEATS)]
        figures["get_requests"] = gets[-1].requests
        figures["get_p50_ms"] = round(statistics.median(g.ms for g in gets), 1)

        for size in SIZES:
            commits = _commits(size)
            new = [
                measure(lambda v=v, c=commits: http.put(f"{releases}b{v}/", json={"commits": c}))
                for v in (0, 1)
            ]
            assert all(r.result.status_code == 200 and r.result.json()["commitCount"] == size for r in new)
            # b0 created the commits; b1 set the same ones again (all known): the two costs differ
            figures[f"put_{size}_new_commits_requests"] = new[0].requests
            figures[f"put_{size}_new_commits_ms"] = round(new[0].ms, 1)
            known = [
                measure(lambda v=v, c=commits: http.put(f"{releases}b{v}/", json={"commits": c}))
                for v in (1, 2, 3)
            ]
            figures[f"put_{size}_known_commits_requests"] = known[-1].requests
            figures[f"put_{size}_known_commits_p50_ms"] = round(statistics.median(k.ms for k in known), 1)

        http.post(f"{base}/api/0/organizations/{demo.org}/repos/", json={"name": "acme/repo0"})
        log = [c for c in _commits(1000) if c["repository"] == "acme/repo0"]
        refs = [{"repository": "acme/repo0", "commit": log[200]["id"], "previousCommit": log[0]["id"]}]
        http.post(releases, json={"version": "refs", "projects": [demo.project]})
        ranged = measure(lambda: http.put(f"{releases}refs/", json={"refs": refs}))
        figures["put_refs_range_requests"] = ranged.requests
        figures["put_refs_range_commits"] = ranged.result.json()["commitCount"]
        figures["put_refs_range_ms"] = round(ranged.ms, 1)

        cleared = measure(lambda: http.put(f"{releases}b0/", json={"refs": []}))
        figures["clear_1000_commits_requests"] = cleared.requests
        figures["clear_1000_commits_ms"] = round(cleared.ms, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
