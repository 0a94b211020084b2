"""A release's commit log: set_commits, clear_commits and the issues its commits resolve.

set_commits follows Sentry's order: newest first, skip-marked commits dropped, repositories,
authors and commits got-or-created, the release's commit rows replaced, one head commit per
repository filled in where missing, then every group a commit of the release references is
resolved in this release. A lease on the release item (conditional write) keeps two set_commits
of the same release from interleaving; the loser answers 409."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from shared.accounts.users import user_ids_by_email
from shared.config import settings
from shared.errors import Conflict, NotFound
from shared.issues.enums import GONE_STATUSES
from shared.issues.groups import find_groups_by_short_ids
from shared.issues.status.commit_links import link_commit_to_groups, unlink_commit_from_groups
from shared.issues.status.release_resolution import resolve_groups_in_release
from shared.releases.authors import author_email, get_or_create_authors
from shared.releases.commit_files import merged_patch_set, store_file_changes
from shared.releases.commit_store import CommitData, get_or_create_commits, stored_message
from shared.releases.references import is_skipped, referenced_issue_ids, referenced_short_ids
from shared.releases.repositories import get_or_create_repositories
from shared.storage.base import BATCH_WRITE_LIMIT, batch_get, chunked, condition_failed
from shared.storage.issues import Group, group_pk
from shared.storage.releases import (
    AuthorRef,
    Commit,
    CommitAuthor,
    Release,
    ReleaseCommit,
    ReleaseHeadCommit,
    ReleaseItem,
    Repository,
)

LOCK_SECONDS = 600
_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class CommitInput:
    """One commit as a client sends it (``commits`` of a release PUT/POST)."""

    id: str
    repository: str | None = None
    message: str | None = None
    author_name: str | None = None
    author_email: str | None = None
    timestamp: datetime | None = None
    patch_set: list[dict[str, str]] = field(default_factory=list)


def update_live_release(release: Release, actions: list[Any]) -> None:
    """Update a release that still exists: one deleted since it was read answers 404 instead of
    being written back as a partial item (an UpdateItem creates what it does not find)."""
    try:
        release.update(actions=actions, condition=Release.pk.exists())
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise NotFound() from None


def _acquire(release: Release) -> None:
    now = int(time.time())
    try:
        release.update(
            actions=[Release.commits_locked_until.set(now + LOCK_SECONDS)],
            condition=Release.pk.exists()
            & (Release.commits_locked_until.does_not_exist() | (Release.commits_locked_until < now)),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        try:
            Release.get(release.pk, release.sk, consistent_read=True)
        except Release.DoesNotExist:
            raise NotFound() from None  # deleted since it was read
        raise Conflict("Release commits are currently being processed") from error


def _release_rows(release: Release, prefix: str) -> list[ReleaseItem]:
    return list(ReleaseItem.query(release.pk, ReleaseItem.sk.startswith(prefix)))


def _write(rows: list[ReleaseItem], deletes: list[ReleaseItem]) -> None:
    for chunk in chunked([(r, False) for r in rows] + [(d, True) for d in deletes], BATCH_WRITE_LIMIT):
        with ReleaseItem.batch_write() as batch:
            for row, delete in chunk:
                if delete:
                    batch.delete(row)
                else:
                    batch.save(row)


def _link_references(org_id: int, commits: list[Commit], messages: dict[tuple[int, str], str | None]) -> None:
    """Record which groups each commit's message says it fixes (GroupLink + activity, by the user
    the commit's author is), and drop the links of groups an edited message no longer names. The
    message as sent is read whole (the stored one may be cut); without one, the stored one counts."""
    texts = {c.key: messages.get((c.repository_id, c.key)) or c.message for c in commits}
    short_ids = {key: referenced_short_ids(text) for key, text in texts.items()}
    issue_ids = {key: referenced_issue_ids(text, settings().public_url) for key, text in texts.items()}
    groups = find_groups_by_short_ids(org_id, sorted({s for ids in short_ids.values() for s in ids}))
    by_id = {
        g.id: g
        for g in batch_get(
            Group, [Group.key(i) for i in sorted({i for ids in issue_ids.values() for i in ids})]
        )
        if g.org_id == org_id and g.status not in GONE_STATUSES
    }
    authors = user_ids_by_email(sorted({c.author_email for c in commits if c.author_email}))
    for commit in commits:
        named = [groups[s] for s in short_ids[commit.key] if s in groups]
        named += [by_id[i] for i in issue_ids[commit.key] if i in by_id]
        linked = list({g.id: g for g in named}.values())
        resolves = {g.id for g in linked}
        before = {int(g) for g in commit.resolves or ()}
        if resolves != before:
            commit.update(actions=[Commit.resolves.set(resolves or None)])
            dropped = before - resolves - {int(g) for g in commit.fixed_groups or ()}
            if dropped:
                unlink_commit_from_groups(commit.id, sorted(dropped))
        if linked:
            link_commit_to_groups(commit.id, linked, authors.get(commit.author_email or ""))


def set_commits(release: Release, commit_list: list[CommitInput]) -> list[Group]:
    """Replace the release's commits with ``commit_list``; returns the groups it resolved. The steps
    run under the release's lease (a concurrent call answers 409); a failure gives the lease back."""
    ordered = _commits_to_store(commit_list)
    _acquire(release)
    try:
        log = _store_commits(release.org_id, ordered)
        _replace_release_rows(release, log)
        _finish_release(release, log, commit_count=len(ordered))
    except BaseException:
        _unlock(release)
        raise
    return _resolve_linked_groups(release, log.commits)


@dataclass
class _CommitLog:
    """The stored commits of one set_commits, in the release's order (newest first, each once)."""

    repository_names: dict[int, str]
    by_key: dict[tuple[int, str], Commit]  # (repository id, commit key) → commit
    order: list[tuple[int, str]]

    @property
    def commits(self) -> list[Commit]:
        return [self.by_key[k] for k in self.order]


def _commits_to_store(commit_list: list[CommitInput]) -> list[CommitInput]:
    """Newest first (no timestamp counts as oldest; the sort is stable), skip-marked commits dropped."""
    ordered = sorted(commit_list, key=lambda c: c.timestamp or _OLDEST, reverse=True)
    return [c for c in ordered if not is_skipped(c.message)]


def _repository_name(commit: CommitInput, org_id: int) -> str:
    """A commit sent without a repository belongs to the organization's default one (Sentry's name)."""
    return commit.repository or f"organization-{org_id}"


def _author_names(ordered: list[CommitInput]) -> dict[str, str | None]:
    """Each author email with the name its newest commit gives."""
    names_by_email: dict[str, str | None] = {}
    for c in ordered:
        email = author_email(c.author_email, c.author_name)
        if email:
            names_by_email.setdefault(email, c.author_name)
    return names_by_email


def _changed_files(
    org_id: int, ordered: list[CommitInput], repositories: dict[str, Repository]
) -> dict[tuple[int, str], dict[str, str]]:
    """Each commit's changed files; a commit sent twice has the patch sets of both merged."""
    files: dict[tuple[int, str], dict[str, str]] = {}
    for c in ordered:
        if c.patch_set:
            repository_id = repositories[_repository_name(c, org_id)].id
            files.setdefault((repository_id, c.id), {}).update(merged_patch_set(c.patch_set))
    return files


def _commit_data(
    org_id: int,
    commit: CommitInput,
    repositories: dict[str, Repository],
    authors: dict[str, CommitAuthor],
    files: dict[tuple[int, str], dict[str, str]],
) -> CommitData:
    email = author_email(commit.author_email, commit.author_name)
    repository = repositories[_repository_name(commit, org_id)]
    changed_files = files.get((repository.id, commit.id))
    return CommitData(
        repository_id=repository.id,
        key=commit.id,
        message=stored_message(commit.message),
        author_id=authors[email].id if email else None,
        author_email=email,
        author_name=commit.author_name,
        timestamp=commit.timestamp,
        file_count=len(changed_files) if changed_files else None,
    )


def _store_commits(org_id: int, ordered: list[CommitInput]) -> _CommitLog:
    """Get or create the repositories, authors and commits (with their file changes), then link the
    groups each commit's message names."""
    repositories = get_or_create_repositories(org_id, sorted({_repository_name(c, org_id) for c in ordered}))
    authors = get_or_create_authors(org_id, _author_names(ordered))
    files = _changed_files(org_id, ordered, repositories)
    data = [_commit_data(org_id, c, repositories, authors, files) for c in ordered]
    commits = get_or_create_commits(org_id, data)
    store_file_changes(org_id, [(commits[k], changes) for k, changes in files.items()])
    order = list(dict.fromkeys((d.repository_id, d.key) for d in data))
    # The message as sent, by commit (a commit sent twice: its later copy's).
    sent = {(d.repository_id, d.key): c.message for c, d in zip(ordered, data, strict=True)}
    _link_references(org_id, [commits[k] for k in order], sent)
    names = {r.id: name for name, r in repositories.items()}
    return _CommitLog(names, commits, order)


def _replace_release_rows(release: Release, log: _CommitLog) -> None:
    """Write the release's commit rows in order over the old ones (rows past the new end are
    deleted), and a head commit for each repository that has none yet."""
    existing = _release_rows(release, "COMMIT#")
    rows: list[ReleaseItem] = _commit_rows(release, log)
    rows += _missing_head_rows(release, log)
    _write(rows, [r for r in existing if r.order >= len(log.order)])


def _commit_rows(release: Release, log: _CommitLog) -> list[ReleaseItem]:
    rows: list[ReleaseItem] = []
    for order, k in enumerate(log.order):
        commit = log.by_key[k]
        pk, sk = ReleaseCommit.key(release.org_id, release.version, order)
        rows.append(
            ReleaseCommit(
                pk=pk,
                sk=sk,
                order=order,
                commit=commit.as_ref(),
                repository_name=log.repository_names[k[0]],
                gsi1pk=ReleaseCommit.commit_index_pk(commit.id),
                gsi1sk=release.gsi1sk,
            )
        )
    return rows


def _missing_head_rows(release: Release, log: _CommitLog) -> list[ReleaseItem]:
    """The newest commit of each repository becomes its head commit, unless the release has one."""
    heads: dict[int, Commit] = {}
    for k in log.order:
        heads.setdefault(k[0], log.by_key[k])
    present = {h.repository_id for h in _release_rows(release, "HEAD#")}
    rows: list[ReleaseItem] = []
    for repository_id, commit in heads.items():
        if repository_id not in present:
            pk, sk = ReleaseHeadCommit.key(release.org_id, release.version, repository_id)
            rows.append(
                ReleaseHeadCommit(
                    pk=pk,
                    sk=sk,
                    repository_id=repository_id,
                    repository_name=log.repository_names[repository_id],
                    commit_id=commit.id,
                    commit_key=commit.key,
                )
            )
    return rows


def _finish_release(release: Release, log: _CommitLog, commit_count: int) -> None:
    """Store the release's commit count, distinct authors and last commit, and release the lease."""
    commits = log.commits
    distinct_authors = list({c.author_id: c for c in commits if c.author_id is not None}.values())
    update_live_release(
        release,
        [
            Release.commit_count.set(commit_count),  # as sent, duplicates included (Sentry)
            Release.authors.set(
                [
                    AuthorRef(id=c.author_id, email=c.author_email, name=c.author_name)
                    for c in distinct_authors
                ]
            ),
            Release.last_commit.set(commits[0].as_ref()) if commits else Release.last_commit.remove(),
            Release.commits_locked_until.remove(),
        ],
    )


def _unlock(release: Release) -> None:
    """Release the lease after a failure; a release deleted meanwhile stays deleted."""
    try:
        release.update(actions=[Release.commits_locked_until.remove()], condition=Release.pk.exists())
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _resolve_linked_groups(release: Release, commits: list[Commit]) -> list[Group]:
    """``../shared/contract/decisions.md`` 5 (docs/decisions.md §status.14): every group linked to one
    of the release's commits (by its message, or resolved in it through an issue update) is resolved
    in the release, by the user the commit's author is (the newest linking commit's; none when no
    user has that email), as Sentry attributes it."""
    linking: dict[int, Commit] = {}
    for commit in commits:
        for group_id in sorted({int(g) for g in (commit.resolves or set()) | (commit.fixed_groups or set())}):
            linking.setdefault(group_id, commit)
    if not linking:
        return []
    groups = batch_get(Group, [(group_pk(g), "GROUP") for g in sorted(linking)], consistent_read=True)
    users = user_ids_by_email(sorted({c.author_email for c in linking.values() if c.author_email}))
    actors = {g: users.get(c.author_email or "") for g, c in linking.items()}
    return resolve_groups_in_release(groups, release.version, release.id, None, actors)


def clear_commits(release: Release) -> None:
    """Remove the release's commit rows and every head commit; shared Commit rows stay."""
    _write([], _release_rows(release, "COMMIT#") + _release_rows(release, "HEAD#"))
    update_live_release(
        release, [Release.commit_count.set(0), Release.authors.set([]), Release.last_commit.remove()]
    )
