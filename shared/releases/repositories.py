"""An organization's repositories: listed by name, created explicitly or on first use by a release.

A repository is stored under its name (``ORG#<org_id>`` / ``REPO#<name>``), so its uniqueness is a
conditional put, listing is one Query in name order (Sentry orders by name too) and the repositories
a release names are found with one BatchGetItem.
"""

from __future__ import annotations

from pynamodb.exceptions import PutError

from shared.auth.access import OrgAccess
from shared.errors import Conflict
from shared.sequences import allocate
from shared.storage.base import batch_get, condition_failed
from shared.storage.paging import Page, query_page
from shared.storage.releases import Repository

# Sentry's OrganizationIntegrationsLoosePermission for GET: every member has org:read and an
# organization token has org:ci, so sentry-cli's ``set-commits`` can resolve names with either.
REPO_READ = frozenset({"org:read", "org:write", "org:admin", "org:integrations", "org:ci"})
# Adding a repository is integration management (OrganizationIntegrationsPermission): admins and up.
REPO_WRITE = frozenset({"org:write", "org:admin", "org:integrations"})

SEQUENCE = "repository"
DUPLICATE_NAME = "A repository with that name already exists"


def list_repositories(access: OrgAccess, cursor: str | None, per_page: int) -> Page[Repository]:
    """One page of the organization's repositories in name order (one Query)."""
    access.require(REPO_READ)
    pk, prefix = Repository.key(access.organization.id, "")
    return query_page(Repository, pk, Repository.sk.startswith(prefix), cursor=cursor, per_page=per_page)


def create_repository(
    access: OrgAccess, name: str, url: str | None = None, provider: str | None = None
) -> Repository:
    """Add a repository; 409 when the organization already has one by that name."""
    access.require(REPO_WRITE)
    (repository_id,) = allocate(SEQUENCE, 1)
    repository = _new(access.organization.id, name, repository_id, url, provider)
    try:
        repository.save(condition=Repository.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        raise Conflict(DUPLICATE_NAME) from None
    return repository


def get_or_create_repositories(org_id: int, names: list[str]) -> dict[str, Repository]:
    """Repositories by name, created where missing (what a release's commits name).

    Existing ones cost one BatchGetItem per 100 names; missing ones share one id block and get a
    conditional put each. A put lost to a concurrent creator is answered with the winner's row, read
    consistently, so every caller sees the same id for a name."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return {}
    found = {r.name: r for r in batch_get(Repository, [Repository.key(org_id, n) for n in wanted])}
    missing = [name for name in wanted if name not in found]
    if not missing:
        return found
    lost: list[str] = []
    for name, repository_id in zip(missing, allocate(SEQUENCE, len(missing)), strict=True):
        repository = _new(org_id, name, repository_id)
        try:
            repository.save(condition=Repository.pk.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
            lost.append(name)
            continue
        found[name] = repository
    if lost:
        winners = batch_get(Repository, [Repository.key(org_id, n) for n in lost], consistent_read=True)
        found.update({r.name: r for r in winners})
    return found


def _new(
    org_id: int, name: str, repository_id: int, url: str | None = None, provider: str | None = None
) -> Repository:
    pk, sk = Repository.key(org_id, name)
    return Repository(pk=pk, sk=sk, id=repository_id, org_id=org_id, name=name, url=url, provider=provider)
