"""``refs`` (what sentry-cli's ``set-commits --commit REPO@[FROM..]TO`` sends): head commits per
repository, and the release's commits filled from the commits already stored for the repository.

There is no VCS integration: the range ``previousCommit..commit`` is read from the repository's
stored commits in date order (GSI ``by_date``). A ref without ``previousCommit`` starts where the
previous release's head commit in that repository was; without a known start, the head alone."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared.config import settings
from shared.errors import ValidationFailed
from shared.queues import send_job
from shared.releases.commit_store import CommitData, get_or_create_commits
from shared.releases.commits import CommitInput, set_commits
from shared.releases.versions import split_commit_range
from shared.storage.base import BATCH_WRITE_LIMIT, batch_get, chunked
from shared.storage.releases import (
    Commit,
    Release,
    ReleaseHeadCommit,
    ReleaseItem,
    ReleaseProject,
    Repository,
    version_of,
)

RANGE_LIMIT = 10_000
# Longer ranges are filled by the release-commits worker, off the request.
INLINE_COMMITS = 250


@dataclass(frozen=True)
class Ref:
    repository: str
    commit: str
    previous_commit: str | None = None

    def bounds(self) -> tuple[str | None, str]:
        start, end = split_commit_range(self.commit)
        return start or self.previous_commit or None, end


def ref_repositories(org_id: int, refs: list[Ref]) -> dict[str, Repository]:
    """The repositories refs name (keyed by the name as sent); 400 ``Invalid repository names``
    before anything is written. sentry-cli checks names case-insensitively before sending them as
    typed, so a name without an exact match falls back to a case-insensitive one."""
    names = sorted({r.repository for r in refs})
    found = {r.name: r for r in batch_get(Repository, [Repository.key(org_id, n) for n in names])}
    missing = [n for n in names if n not in found]
    if missing:
        pk, prefix = Repository.key(org_id, "")
        by_lower = {r.name.lower(): r for r in Repository.query(pk, Repository.sk.startswith(prefix))}
        found.update({n: by_lower[n.lower()] for n in missing if n.lower() in by_lower})
        missing = [n for n in missing if n not in found]
    if missing:
        raise ValidationFailed({"refs": [f"Invalid repository names: {','.join(missing)}"]})
    return found


def _range(repository_id: int, start: Commit | None, head: Commit) -> list[Commit]:
    """Stored commits after ``start`` up to ``head``, newest first."""
    if start is None or start.gsi1sk is None or head.gsi1sk is None or start.gsi1sk >= head.gsi1sk:
        return [head]
    found = Commit.by_date.query(
        f"REPO#{repository_id}",
        Commit.gsi1sk.between(start.gsi1sk, head.gsi1sk),
        scan_index_forward=False,
        limit=RANGE_LIMIT + 1,
    )
    return [c for c in found if c.key != start.key][:RANGE_LIMIT]


def set_refs(
    release: Release,
    refs: list[Ref],
    repositories: dict[str, Repository],
    fetch: bool,
) -> None:
    """Store each repository's head commit; with ``fetch``, fill the release's commits from the
    ranges: at once when they are short, else through the release-commits queue."""
    org_id = release.org_id
    refs = starting_at_previous_release(release, refs, repositories)
    bounds = [(repositories[r.repository], *r.bounds()) for r in refs]
    wanted = [CommitData(repository_id=repo.id, key=end) for repo, _, end in bounds]
    heads = get_or_create_commits(org_id, wanted)
    rows = []
    for repo, _, end in bounds:
        head = heads[(repo.id, end)]
        pk, sk = ReleaseHeadCommit.key(org_id, release.version, repo.id)
        rows.append(
            ReleaseHeadCommit(
                pk=pk,
                sk=sk,
                repository_id=repo.id,
                repository_name=repo.name,
                commit_id=head.id,
                commit_key=end,
            )
        )
    for chunk in chunked(rows, BATCH_WRITE_LIMIT):
        with ReleaseItem.batch_write() as batch:
            for row in chunk:
                batch.save(row)
    if not fetch:
        return
    log = commits_in_ranges(bounds, heads)
    if len(log) > INLINE_COMMITS:
        send_job(
            settings().release_commits_queue_url,
            {
                "org_id": org_id,
                "version": release.version,
                "refs": [
                    {"repository": r.repository, "commit": r.commit, "previousCommit": r.previous_commit}
                    for r in refs
                ],
            },
        )
        return
    _set_log(release, log, repositories)


def previous_release(release: Release) -> str | None:
    """The version of the newest release added before ``release`` that shares a project with it
    (Sentry's ``prev_release`` of fetch_commits): one Query of each project's release links."""
    found: list[tuple[str, str]] = []
    for project_id in sorted(int(p) for p in release.project_ids or ()):
        links = ReleaseProject.by_date.query(
            ReleaseProject.project_index_pk(project_id),
            ReleaseProject.gsi1sk < release.gsi1sk,
            scan_index_forward=False,
            limit=1,
        )
        found.extend((link.gsi1sk, version_of(link.pk)) for link in links)
    return max(found)[1] if found else None


def starting_at_previous_release(
    release: Release, refs: list[Ref], repositories: dict[str, Repository]
) -> list[Ref]:
    """Refs without a start (``set-commits --commit REPO@SHA``) start at the head commit the previous
    release recorded for their repository, as Sentry does; without one they stay the head alone."""
    open_ended = [r for r in refs if r.bounds()[0] is None]
    previous = previous_release(release) if open_ended else None
    if previous is None:
        return refs
    keys = [
        ReleaseHeadCommit.key(release.org_id, previous, repositories[r.repository].id) for r in open_ended
    ]
    heads = {h.repository_id: h.commit_key for h in batch_get(ReleaseHeadCommit, keys)}
    return [
        replace(r, previous_commit=heads.get(repositories[r.repository].id)) if r.bounds()[0] is None else r
        for r in refs
    ]


def commits_in_ranges(
    bounds: list[tuple[Repository, str | None, str]], heads: dict[tuple[int, str], Commit]
) -> list[Commit]:
    """The stored commits of every ref's range, newest first per repository."""
    starts = [Commit.item_key(repo.id, start) for repo, start, _ in bounds if start]
    known = {(c.repository_id, c.key): c for c in batch_get(Commit, starts)}
    log: list[Commit] = []
    for repo, start, end in bounds:
        start_commit = known.get((repo.id, start)) if start else None
        log.extend(_range(repo.id, start_commit, heads[(repo.id, end)]))
    return log


def _set_log(release: Release, log: list[Commit], repositories: dict[str, Repository]) -> None:
    names = {r.id: r.name for r in repositories.values()}
    set_commits(
        release,
        [
            CommitInput(
                id=c.key,
                repository=names[c.repository_id],
                message=c.message,
                author_name=c.author_name,
                author_email=c.author_email,
                timestamp=c.date_added,
            )
            for c in log
        ],
    )


def fill_commits_from_refs(job: dict[str, Any]) -> int:
    """Run a queued range fill (the release-commits worker); returns the number of commits set.

    Replaying a job sets the same commits again, so a redelivered message changes nothing."""
    org_id, version = int(job["org_id"]), str(job["version"])
    try:
        release = Release.get(*Release.key(org_id, version), consistent_read=True)
    except DoesNotExist:
        return 0  # deleted since: nothing to fill
    refs = [Ref(r["repository"], r["commit"], r.get("previousCommit")) for r in job["refs"]]
    repositories = ref_repositories(org_id, refs)
    bounds = [(repositories[r.repository], *r.bounds()) for r in refs]
    heads = get_or_create_commits(org_id, [CommitData(repo.id, end) for repo, _, end in bounds])
    log = commits_in_ranges(bounds, heads)
    _set_log(release, log, repositories)
    return len(log)
