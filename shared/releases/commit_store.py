"""Commits shared by releases: get-or-create by (repository, sha) in batches.

New commits are created by conditional transactions of up to 100 puts, so two releases storing the
same new commit concurrently cannot give it two ids: the loser's transaction is cancelled and it
re-reads the winner's rows. Existing commits whose details changed are rewritten in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.sequences import allocate
from shared.storage.base import BATCH_WRITE_LIMIT, batch_get, cancelled_by_condition, chunked, utcnow
from shared.storage.dynamodb import connection, max_transaction_items
from shared.storage.releases import Commit

# A commit is copied into every release log row that lists it, so its stored message is bounded to
# keep those items far below DynamoDB's 400 KB (references are read from the whole message first).
STORED_MESSAGE_LENGTH = 10_000


def stored_message(message: str | None) -> str | None:
    """The part of a commit message that is stored."""
    return message[:STORED_MESSAGE_LENGTH] if message else message


@dataclass(frozen=True)
class CommitData:
    """A commit as a client describes it; ``None`` fields are unknown and never overwrite."""

    repository_id: int
    key: str
    message: str | None = None
    author_id: int | None = None
    author_email: str | None = None
    author_name: str | None = None
    timestamp: datetime | None = None
    file_count: int | None = None


def _index_keys(repository_id: int, date: datetime, key: str) -> tuple[str, str]:
    return f"REPO#{repository_id}", f"{date.isoformat()}#{key}"


def _new_commit(org_id: int, commit_id: int, data: CommitData) -> Commit:
    pk, sk = Commit.item_key(data.repository_id, data.key)
    date = data.timestamp or utcnow()
    gsi1pk, gsi1sk = _index_keys(data.repository_id, date, data.key)
    return Commit(
        pk=pk,
        sk=sk,
        gsi1pk=gsi1pk,
        gsi1sk=gsi1sk,
        id=commit_id,
        org_id=org_id,
        repository_id=data.repository_id,
        key=data.key,
        message=data.message,
        author_id=data.author_id,
        author_email=data.author_email,
        author_name=data.author_name,
        date_added=date,
        file_count=data.file_count,
    )


def _apply_changes(commit: Commit, data: CommitData) -> bool:
    """Copy the known fields of ``data`` onto ``commit``; whether anything changed."""
    changed = False
    for field, value in (
        ("message", data.message),
        ("author_id", data.author_id),
        ("author_email", data.author_email),
        ("author_name", data.author_name),
        ("date_added", data.timestamp),
        ("file_count", data.file_count),
    ):
        if value is not None and getattr(commit, field) != value:
            setattr(commit, field, value)
            changed = True
    if changed:
        commit.gsi1pk, commit.gsi1sk = _index_keys(commit.repository_id, commit.date_added, commit.key)
    return changed


def _create(org_id: int, missing: list[CommitData]) -> dict[tuple[int, str], Commit]:
    """Create ``missing`` commits; rows another writer created first are read back instead."""
    created: dict[tuple[int, str], Commit] = {}
    ids = iter(allocate("commit", len(missing)))
    for chunk in chunked(missing, max_transaction_items()):
        rows = [_new_commit(org_id, next(ids), data) for data in chunk]
        try:
            with TransactWrite(connection=connection()) as transaction:
                for row in rows:
                    transaction.save(row, condition=Commit.pk.does_not_exist())
        except TransactWriteError as error:
            if not any(cancelled_by_condition(error)):
                raise
            existing = {
                (c.repository_id, c.key): c for c in batch_get(Commit, [(r.pk, r.sk) for r in rows], True)
            }
            rows = [existing.get((r.repository_id, r.key)) or r for r in rows]
            late = [r for r in rows if (r.repository_id, r.key) not in existing]
            for row in late:  # created by nobody after all: write them one by one
                row.save(condition=Commit.pk.does_not_exist())
        created.update({(r.repository_id, r.key): r for r in rows})
    return created


def get_or_create_commits(org_id: int, commits: list[CommitData]) -> dict[tuple[int, str], Commit]:
    """Commits by (repository id, sha), created or updated as needed, in as few requests as the
    batch limits allow."""
    wanted: dict[tuple[int, str], CommitData] = {}
    for data in commits:
        wanted.setdefault((data.repository_id, data.key), data)
    keys = [Commit.item_key(repo_id, key) for repo_id, key in wanted]
    found = {(c.repository_id, c.key): c for c in batch_get(Commit, keys)}
    changed = [found[k] for k, data in wanted.items() if k in found and _apply_changes(found[k], data)]
    for chunk in chunked(changed, BATCH_WRITE_LIMIT):
        with Commit.batch_write() as batch:
            for commit in chunk:
                batch.save(commit)
    missing = [data for k, data in wanted.items() if k not in found]
    if missing:
        found.update(_create(org_id, missing))
    return found
