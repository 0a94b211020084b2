"""Commit authors: one row per (organization, email), created on first sight."""

from __future__ import annotations

import re

from pynamodb.exceptions import PutError

from shared.sequences import allocate
from shared.storage.base import batch_get, condition_failed
from shared.storage.releases import CommitAuthor

EMAIL_MAX = 75
_NAME_CHARS = re.compile(r"[^a-zA-Z0-9\-_.]")


def author_email(email: str | None, name: str | None) -> str | None:
    """The email Sentry files an author under: the given one, else ``<name>@localhost``."""
    if not email and name:
        email = _NAME_CHARS.sub("", name).lower() + "@localhost"
    return email[:EMAIL_MAX] if email else None


def get_or_create_authors(org_id: int, names_by_email: dict[str, str | None]) -> dict[str, CommitAuthor]:
    """Authors by email: one BatchGetItem per 100, one id block and a conditional put per new one;
    a changed name is updated, as Sentry does."""
    if not names_by_email:
        return {}
    keys = [CommitAuthor.key(org_id, email) for email in names_by_email]
    found = {a.email: a for a in batch_get(CommitAuthor, keys)}
    missing = [email for email in names_by_email if email not in found]
    ids = iter(allocate("commit_author", len(missing))) if missing else iter(())
    for email in missing:
        pk, sk = CommitAuthor.key(org_id, email)
        author = CommitAuthor(
            pk=pk, sk=sk, id=next(ids), org_id=org_id, email=email, name=names_by_email[email]
        )
        try:
            author.save(condition=CommitAuthor.pk.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
            author = CommitAuthor.get(pk, sk, consistent_read=True)
        found[email] = author
    for email, name in names_by_email.items():
        author = found[email]
        if name and author.name != name:
            author.update(actions=[CommitAuthor.name.set(name)])
    return found
