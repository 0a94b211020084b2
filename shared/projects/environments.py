"""A project's environments as Sentry's environment endpoints answer them: the list (with
``visibility``: ``visible``, the default, ``hidden`` or ``all``), one environment, and the PUT
that hides or shows it. Environments are added by the events that name them
(``shared.releases.from_events``)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from shared.errors import BadRequest, NotFound
from shared.storage.accounts import Project
from shared.storage.base import condition_failed
from shared.storage.environments import ProjectEnvironment

VISIBILITY = {"visible", "hidden", "all"}
INVALID_VISIBILITY = "Invalid value for 'visibility', valid values are: ['all', 'hidden', 'visible']"


def environments_of(project_ids: list[int]) -> list[ProjectEnvironment]:
    """The environments of the projects: one Query per project."""
    rows: list[ProjectEnvironment] = []
    for project_id in project_ids:
        rows += ProjectEnvironment.query(ProjectEnvironment.partition(project_id))
    return rows


def _visible(rows: list[ProjectEnvironment], visibility: str | None) -> list[ProjectEnvironment]:
    wanted = visibility or "visible"
    if wanted not in VISIBILITY:
        raise BadRequest(INVALID_VISIBILITY)
    if wanted == "all":
        return rows
    return [row for row in rows if bool(row.is_hidden) == (wanted == "hidden")]


def project_environments(project: Project, visibility: str | None) -> list[dict[str, Any]]:
    """Sentry's EnvironmentProjectSerializer, by name."""
    rows = _visible(environments_of([project.id]), visibility)
    return [serialize_project_environment(row) for row in sorted(rows, key=lambda r: r.name)]


def organization_environments(projects: list[Project], visibility: str | None) -> list[dict[str, Any]]:
    """Sentry's organization environments: each name once (``visibility`` judged per project, as
    Sentry filters its EnvironmentProject rows), by name."""
    rows = _visible(environments_of([p.id for p in projects]), visibility)
    by_name: dict[str, ProjectEnvironment] = {}
    for row in rows:
        by_name.setdefault(row.name, row)
    return [{"id": str(row.id), "name": name} for name, row in sorted(by_name.items())]


def serialize_project_environment(row: ProjectEnvironment) -> dict[str, Any]:
    return {"id": str(row.id), "name": row.name, "isHidden": bool(row.is_hidden)}


def delete_environments(project_id: int) -> int:
    """Remove a deleted project's environments (one Query, BatchWriteItem deletes); how many."""
    rows = list(ProjectEnvironment.query(ProjectEnvironment.partition(project_id)))
    with ProjectEnvironment.batch_write() as batch:
        for row in rows:
            batch.delete(row)
    return len(rows)


def find_environment(project: Project, name: str) -> ProjectEnvironment:
    try:
        return ProjectEnvironment.get(*ProjectEnvironment.key(project.id, name))
    except DoesNotExist:
        raise NotFound() from None


def set_hidden(project: Project, name: str, hidden: bool) -> dict[str, Any]:
    """Sentry's PUT of a project environment: hide it or show it again."""
    row = find_environment(project, name)
    try:
        hidden = ProjectEnvironment.is_hidden.set(hidden)
        row.update(actions=[hidden], condition=ProjectEnvironment.pk.exists())
    except UpdateError as error:
        if condition_failed(error):
            raise NotFound() from None
        raise
    return serialize_project_environment(row)
