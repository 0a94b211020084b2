"""DSN keys of a project (Sentry's ProjectKey): created with the project, listed by the keys endpoint,
and looked up by public key for every ingested event.

The key lives under its public key (authentication is one GetItem); a pointer in the project's id
partition lets the project's keys be listed with one Query and one BatchGetItem."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from pynamodb.exceptions import DoesNotExist

from shared.public_url import ingest_url
from shared.sequences import allocate
from shared.storage.accounts import Pointer, Project, ProjectKey
from shared.storage.base import batch_get
from shared.storage.unique import create_unique

DEFAULT_LABEL = "Default"


def create_project_key(project: Project, label: str = DEFAULT_LABEL) -> ProjectKey:
    """A new active key for ``project`` with random 32-hex public and secret parts, as Sentry makes
    them. The key and its listing pointer are written together, conditional on both being new."""
    public_key = secrets.token_hex(16)
    pk, sk = ProjectKey.key(public_key)
    key = ProjectKey(
        pk=pk,
        sk=sk,
        id=allocate("projectkey")[0],
        project_id=project.id,
        org_id=project.org_id,
        public_key=public_key,
        secret_key=secrets.token_hex(16),
        label=label,
    )
    create_unique(key, [ProjectKey.list_key(project.id, public_key)])
    return key


def get_project_key(public_key: str) -> ProjectKey | None:
    """The key with this public part, active or not (one GetItem)."""
    try:
        return ProjectKey.get(*ProjectKey.key(public_key))
    except DoesNotExist:
        return None


def list_project_keys(project: Project) -> list[ProjectKey]:
    """The project's keys, oldest first (one Query for the pointers, one BatchGetItem per 100)."""
    pk, _ = ProjectKey.list_key(project.id, "")
    pointers = Pointer.query(pk, Pointer.sk.startswith("KEY#"), consistent_read=True)
    keys = batch_get(ProjectKey, [(p.target_pk, p.target_sk) for p in pointers], consistent_read=True)
    return sorted(keys, key=lambda k: k.id)


def dsn(key: ProjectKey, with_secret: bool = False) -> str:
    """The DSN an SDK is configured with: ``<scheme>://<public>[:<secret>]@<host>/<project id>``,
    built on the ingestion URL (the SDK then posts to ``<url>/api/<project id>/envelope/``)."""
    url = urlsplit(ingest_url())
    credentials = f"{key.public_key}:{key.secret_key}" if with_secret else key.public_key
    return f"{url.scheme}://{credentials}@{url.netloc}{url.path.rstrip('/')}/{key.project_id}"
