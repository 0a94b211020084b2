"""File changes of commits (the ``patch_set`` a client sends with each commit, as
``sentry-cli releases set-commits --local`` does), and the list of a release's changed files.

Rows live beside their commit (``REPO#<id>`` partition) and are written 25 per BatchWriteItem; a
path sent again for the same commit replaces the earlier row. Each commit records how many files it
has, and release commit rows copy that, so listing a release's files queries only the commits that
have some."""

from __future__ import annotations

from shared.sequences import allocate
from shared.storage.base import BATCH_WRITE_LIMIT, chunked
from shared.storage.releases import Commit, CommitFileChange, ReleaseCommit, ReleaseItem


def merged_patch_set(entries: list[dict[str, str]]) -> dict[str, str]:
    """Path → change type; a path listed twice keeps its last type."""
    return {entry["path"]: entry["type"] for entry in entries}


def store_file_changes(org_id: int, changes: list[tuple[Commit, dict[str, str]]]) -> None:
    """Write the file-change rows of each commit (ids from one block)."""
    total = sum(len(files) for _, files in changes)
    if not total:
        return
    ids = iter(allocate("commitfile", total))
    rows = []
    for commit, files in changes:
        for filename, change_type in files.items():
            pk, sk = CommitFileChange.key(commit.repository_id, commit.key, filename)
            rows.append(
                CommitFileChange(
                    pk=pk,
                    sk=sk,
                    id=next(ids),
                    org_id=org_id,
                    commit_id=commit.id,
                    filename=filename,
                    type=change_type,
                )
            )
    for chunk in chunked(rows, BATCH_WRITE_LIMIT):
        with ReleaseItem.batch_write() as batch:
            for row in chunk:
                batch.save(row)


def release_file_changes(rows: list[ReleaseCommit]) -> list[tuple[CommitFileChange, ReleaseCommit]]:
    """The file changes of a release's commits, with the commit each belongs to, by filename."""
    found = []
    for row in rows:
        if not row.commit.file_count:
            continue
        pk = f"REPO#{row.commit.repository_id}"
        prefix = CommitFileChange.prefix(row.commit.key)
        found.extend(
            (change, row) for change in CommitFileChange.query(pk, CommitFileChange.sk.startswith(prefix))
        )
    return sorted(found, key=lambda pair: (pair[0].filename, pair[0].id))
