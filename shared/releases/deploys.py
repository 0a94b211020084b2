"""Deploys of a release (Sentry's ReleaseDeploysEndpoint): create one per environment rollout, and
list the newest deploy of each project and environment the release went to.

A deploy writes its own row, counts itself on the release (``total_deploys``, ``last_deploy``) and
marks each of its projects' environments (ReleaseProjectEnvironment) with its id, in transactions
of at most ten items so they stay within every DynamoDB engine's limit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from pynamodb.transactions import TransactWrite

from shared.auth.access import OrgAccess
from shared.auth.scopes import RELEASE_READ, RELEASE_WRITE
from shared.errors import BadRequest
from shared.issues.transaction import transaction
from shared.notifications.queue import queue_deploy
from shared.releases.access import organization_projects, require_release_access, visible_project_ids
from shared.releases.service import find_release, resolve_projects
from shared.sequences import allocate
from shared.storage.base import batch_get, chunked, utcnow
from shared.storage.releases import Deploy, Release, ReleaseItem, ReleaseProjectEnvironment

ENVIRONMENT_MAX_LENGTH = 64
_ENVIRONMENT_NAME = re.compile(r"^[^\n\r\f/]+$")
# One transaction holds the deploy, the release update and up to eight environment rows.
TRANSACTION_ITEMS = 10


def is_valid_environment(name: str) -> bool:
    """Sentry's Environment.is_valid_name: no line breaks or slashes, at most 64 characters."""
    return len(name) <= ENVIRONMENT_MAX_LENGTH and bool(_ENVIRONMENT_NAME.match(name)) and name != "none"


@dataclass(frozen=True)
class DeployInput:
    environment: str
    name: str | None = None
    url: str | None = None
    date_started: datetime | None = None
    date_finished: datetime | None = None
    projects: list[str | int] | None = None


def create_deploy(access: OrgAccess, version: str, data: DeployInput) -> Deploy:
    """Record a deploy of ``version``: to the projects named (each must be one of the release's),
    else to every project of the release. 404 for a missing or hidden release, 400 before any write."""
    access.require(RELEASE_WRITE)
    org_projects = organization_projects(access)
    release = require_release_access(access, find_release(access.organization.id, version), org_projects)
    linked = {int(p) for p in release.project_ids or ()}
    if data.projects is None:
        project_ids = sorted(linked)
    else:
        chosen = resolve_projects(access, org_projects, data.projects)
        outside = sorted(p.slug for p in chosen if p.id not in linked)
        if outside:
            raise BadRequest(f"Invalid projects ({', '.join(outside)}) for release {release.version}")
        project_ids = sorted(p.id for p in chosen)
    org_id = release.org_id
    deploy_id = allocate("deploy")[0]
    pk, sk = Deploy.key(org_id, release.version, deploy_id)
    deploy = Deploy(
        pk=pk,
        sk=sk,
        id=deploy_id,
        environment=data.environment,
        name=data.name or None,
        url=data.url or None,
        date_started=data.date_started,
        date_finished=data.date_finished or utcnow(),
        project_ids=set(project_ids) or None,
    )
    first, rest = project_ids[: TRANSACTION_ITEMS - 2], project_ids[TRANSACTION_ITEMS - 2 :]
    with transaction() as t:
        t.save(deploy, condition=Deploy.pk.does_not_exist())
        t.update(
            release,
            actions=[Release.total_deploys.add(1), Release.last_deploy.set(deploy.as_ref())],
            condition=Release.pk.exists(),
        )
        for project_id in first:
            _mark_environment(t, release, project_id, deploy)
    for chunk in chunked(rest, TRANSACTION_ITEMS):
        with transaction() as t:
            for project_id in chunk:
                _mark_environment(t, release, project_id, deploy)
    queue_deploy(org_id, release.version, deploy, access.principal.user_id)
    return deploy


def _mark_environment(t: TransactWrite, release: Release, project_id: int, deploy: Deploy) -> None:
    """The (project, environment) row of the release now points at ``deploy``."""
    key = ReleaseProjectEnvironment.key(release.org_id, release.version, project_id, deploy.environment)
    t.update(
        ReleaseProjectEnvironment(*key),
        actions=[
            ReleaseProjectEnvironment.kind.set(ReleaseProjectEnvironment),
            ReleaseProjectEnvironment.project_id.set(project_id),
            ReleaseProjectEnvironment.environment.set(deploy.environment),
            ReleaseProjectEnvironment.last_deploy_id.set(deploy.id),
            ReleaseProjectEnvironment.gsi1pk.set(
                ReleaseProjectEnvironment.index_pk(project_id, deploy.environment)
            ),
            ReleaseProjectEnvironment.gsi1sk.set(release.gsi1sk),
        ],
    )


def release_environments(release: Release) -> list[ReleaseProjectEnvironment]:
    """The (project, environment) pairs the release went to (one Query)."""
    return list(ReleaseItem.query(release.pk, ReleaseItem.sk.startswith("ENV#")))


def list_deploys(access: OrgAccess, version: str, project_ids: list[int]) -> list[Deploy]:
    """The newest deploy of each (project, environment) of the release, newest finished first,
    limited to the caller's projects (and to ``project_ids`` when given)."""
    access.require(RELEASE_READ)
    org_projects = organization_projects(access)
    release = require_release_access(access, find_release(access.organization.id, version), org_projects)
    visible = visible_project_ids(access, org_projects)
    if project_ids:
        visible &= set(project_ids)
    deploy_ids = {
        row.last_deploy_id
        for row in release_environments(release)
        if row.project_id in visible and row.last_deploy_id is not None
    }
    keys = [Deploy.key(release.org_id, release.version, i) for i in sorted(deploy_ids)]
    return sorted(batch_get(Deploy, keys), key=lambda d: (d.date_finished, d.id), reverse=True)
