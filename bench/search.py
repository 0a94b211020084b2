"""Benchmark Sentry's issue search through the local API on a project of 10,000 issues: the first page
(25) of the issue list with no filter, with filters on issue fields of several selectivities (those
the index entries carry, those that read the groups, and a row filter), with free text, with an
environment (an event condition: the event engine's time, as the bench writes no events), and
unfiltered in Sentry's other sorts: p50 latency and DynamoDB requests per page (a page that runs
past the function's timeout is answered 503 and counted as timed out).

The issues are copies of one new issue's rows (group, inbox, tag summary) under fresh ids,
batch-written; every hundredth is ``fatal``, first seen in release ``rare@1`` and seen in
``staging``, ``times_seen`` runs from 1 to 50, and their last-seen times are spread over the last
hours, so a selective filter's matches are spread over the whole index. It starts its own moto
server and local API, and prints the figures as one JSON object on its last line."""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.demo import demo_api
from local.metering import measure

ISSUES = 10_000
REPEATS = 5
QUERIES = {
    "unfiltered": "is:unresolved",
    "text": "is:unresolved Error",
    "level_1pct": "is:unresolved level:fatal",
    "times_seen_20pct": "is:unresolved times_seen:>40",
    "level_negated_99pct": "!level:fatal",
    "first_seen_relative": "age:-24h",
    "first_release_1pct": "first-release:rare@1",
    "assigned_none": "assigned:none",
    "environment_1pct": "environment:staging",
}
SORTS = ("new", "freq", "user")  # the unfiltered list in Sentry's other orders (``date`` is the default)


def _issues(project: Any, count: int) -> None:
    """``count`` issues as described above, batch-written (setup, not measured)."""
    from shared.issues.groups import create_group
    from shared.sequences import allocate
    from shared.storage.base import BATCH_WRITE_LIMIT, chunked, utcnow
    from shared.storage.group_tags import GroupTags
    from shared.storage.issues import Group, IssueItem, group_pk, status_index_sk
    from shared.tags.summary import TagSummary

    template = create_group(project, "Error template")
    rows = [r for r in IssueItem.query(group_pk(template.id)) if not isinstance(r, GroupTags)]
    now = utcnow()
    clones: list[IssueItem] = []
    for n, group_id in enumerate(allocate("group", count)):
        rare = n % 100 == 0
        for row in rows:
            clone = type(row).from_raw_data(row.serialize())
            clone.pk = group_pk(group_id)
            if isinstance(clone, Group):
                clone.id = group_id
                clone.title = f"Error {n}"
                clone.level = "fatal" if rare else "error"
                clone.first_release_version = "rare@1" if rare else None
                clone.times_seen = 1 + n % 50
                clone.last_seen = now - timedelta(seconds=n * 2)
                clone.gsi1sk = status_index_sk(clone.last_seen, group_id)
            clones.append(clone)
        summary = TagSummary()
        summary.add_events([(now, {"environment": "staging" if rare else "production", "level": "error"})])
        clones.append(GroupTags(*GroupTags.key(group_id), summary=summary.to_bytes(), version=1))
    for chunk in chunked(clones, BATCH_WRITE_LIMIT):
        with IssueItem.batch_write() as batch:
            for clone in chunk:
                batch.save(clone)


def main() -> None:
    with demo_api() as api:
        started = time.perf_counter()
        _issues(api.project, ISSUES)
        figures: dict[str, Any] = {"issues": ISSUES, "setup_s": round(time.perf_counter() - started, 1)}
        url = f"{api.base}/api/0/projects/{api.demo.org}/{api.demo.project}/issues/"
        cases = [(name, {"query": query}) for name, query in QUERIES.items()]
        cases += [(f"sort_{sort}", {"query": QUERIES["unfiltered"], "sort": sort}) for sort in SORTS]
        for name, asked in cases:
            params = {**asked, "per_page": "25"}
            runs = [measure(lambda p=params: api.http.get(url, params=p)) for _ in range(REPEATS)]
            answered = [r for r in runs if r.result.status_code == 200]
            failed = [r.result for r in runs if r.result.status_code != 200]
            # a page that runs past the function's timeout is answered 503: counted, not fatal
            assert all(f.status_code == 503 for f in failed), (
                name,
                failed[0].status_code,
                failed[0].text[:300],
            )
            print(name, [(round(r.ms), r.result.status_code) for r in runs], file=sys.stderr, flush=True)
            figures[f"{name}_timed_out"] = len(failed)
            figures[f"{name}_found"] = len(answered[-1].result.json()) if answered else None
            figures[f"{name}_requests"] = runs[-1].requests
            figures[f"{name}_p50_ms"] = round(statistics.median(r.ms for r in runs), 1)
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
