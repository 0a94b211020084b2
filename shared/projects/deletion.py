"""Deleting a project (Sentry's Project.delete via the deletion queue).

The request marks the project pending deletion, after which every lookup answers 404, disables its
DSN keys (events are refused from then on) and queues a job. The job sends every group of the
project through delete_group_list (the same pipeline as an issue deletion), unlinks it from its
releases and its source-map bundles (a bundle no other project uses goes), removes its DSN keys,
and finally the project row and its id pointer, which frees the slug. Each step is idempotent, so
a redelivered or retried job completes the work."""

from __future__ import annotations

import uuid
from datetime import datetime

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, UpdateError

from shared.alerts.rules import delete_project_rules
from shared.artifacts.bundles import delete_project_bundles
from shared.auth.access import OrgAccess
from shared.errors import NotFound
from shared.issues.deletion.queue import (
    DELETE_PROJECT,
    DELETION_INDEX_PK,
    delete_group_list,
    deletion_index_sk,
    send_deletion_job,
)
from shared.issues.enums import GroupStatus
from shared.issues.status_index import status_groups
from shared.metrics import ROWS_DELETED, count
from shared.projects.environments import delete_environments
from shared.projects.keys import list_project_keys
from shared.projects.service import PENDING_DELETION, PROJECT_ADMIN, get_project
from shared.releases.project_removal import remove_project_from_releases
from shared.storage.accounts import AccountItem, Pointer, Project, ProjectKey
from shared.storage.base import chunked, condition_failed, utcnow
from shared.storage.group_state import ProjectDeletion

logger = Logger(child=True)

# Statuses whose groups the project job must queue; the others are on their way out already.
_LIVE_STATUSES = (
    GroupStatus.UNRESOLVED,
    GroupStatus.RESOLVED,
    GroupStatus.IGNORED,
    GroupStatus.PENDING_MERGE,
    GroupStatus.REPROCESSING,
)
_GROUPS_PER_CALL = 100


def delete_project(access: OrgAccess, slug: str) -> None:
    """Mark the project pending deletion and queue its deletion (the caller answers 204)."""
    project = get_project(access, slug, scopes=PROJECT_ADMIN)
    try:
        project.update(
            actions=[Project.status.set(PENDING_DELETION)], condition=Project.status != PENDING_DELETION
        )
    except UpdateError as error:
        if condition_failed(error):
            raise NotFound() from None
        raise
    # Events stop at once: ingestion refuses inactive keys, and it never reads the project itself.
    for key in list_project_keys(project):
        key.update(actions=[ProjectKey.is_active.set(False)])
    _mark_for_sweeper(project.id, utcnow())
    transaction_id = uuid.uuid4().hex
    send_project_job(project.id, transaction_id)
    logger.info(
        "project queued for deletion", extra={"project_id": project.id, "transaction_id": transaction_id}
    )


def send_project_job(project_id: int, transaction_id: str) -> None:
    send_deletion_job({"type": DELETE_PROJECT, "project_id": project_id, "transaction_id": transaction_id})


def _mark_for_sweeper(project_id: int, due: datetime) -> None:
    pk, sk = ProjectDeletion.key(project_id)
    ProjectDeletion(
        pk=pk,
        sk=sk,
        project_id=project_id,
        gsi2pk=DELETION_INDEX_PK,
        gsi2sk=deletion_index_sk(due, project_id),
    ).save()


def _pending_project(project_id: int) -> Project | None:
    try:
        pointer = Pointer.get(*Project.id_key(project_id), consistent_read=True)
        project = Project.get(pointer.target_pk, pointer.target_sk, consistent_read=True)
    except DoesNotExist:
        return None
    return project if project.status == PENDING_DELETION else None


def run_project_deletion(project_id: int, transaction_id: str) -> None:
    """The project job; a project already deleted (or not pending deletion) is left alone."""
    project = _pending_project(project_id)
    if project is None:
        ProjectDeletion(*ProjectDeletion.key(project_id)).delete()
        return
    queued = 0
    for status in _LIVE_STATUSES:
        groups = status_groups(project_id, status, consistent_read=True)
        for chunk in chunked(groups, _GROUPS_PER_CALL):
            delete_group_list(chunk, delete_type="delete")
            queued += len(chunk)
    remove_project_from_releases(project_id)
    delete_project_bundles(project.org_id, project_id)
    rows = 1 + delete_project_rules(project_id) + delete_environments(project_id)
    with AccountItem.batch_write() as batch:
        for row in AccountItem.query(Project.id_key(project_id)[0]):
            if isinstance(row, Pointer) and row.sk.startswith("KEY#"):
                batch.delete(AccountItem(row.target_pk, row.target_sk))
                rows += 1
            batch.delete(AccountItem(row.pk, row.sk))
            rows += 1
        batch.delete(AccountItem(project.pk, project.sk))
    count(ROWS_DELETED, rows)
    ProjectDeletion(*ProjectDeletion.key(project_id)).delete()
    logger.info(
        "project deleted",
        extra={"project_id": project_id, "transaction_id": transaction_id, "groups_queued": queued},
    )
