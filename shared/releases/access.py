"""Who may see a release: Sentry's ``has_release_permission``.

A release is visible when it is linked to any project the caller can access (organization tokens,
owners, managers and open-membership organizations see every project). Hidden releases answer 404,
like missing ones."""

from __future__ import annotations

from shared.auth.access import OrgAccess
from shared.errors import NotFound
from shared.storage.accounts import Project
from shared.storage.releases import Release


def organization_projects(access: OrgAccess) -> list[Project]:
    """Every project of the organization (one Query of its partition)."""
    pk, prefix = Project.key(int(access.organization.id), "")
    return list(Project.query(pk, Project.sk.startswith(prefix)))


def visible_project_ids(access: OrgAccess, projects: list[Project]) -> set[int]:
    return {int(p.id) for p in access.visible(projects)}


def require_release_access(access: OrgAccess, release: Release | None, projects: list[Project]) -> Release:
    """The release if the caller may see it; 404 when it is missing or linked to no visible project."""
    if release is None:
        raise NotFound()
    linked = {int(p) for p in release.project_ids or ()}
    if not linked & visible_project_ids(access, projects):
        raise NotFound()
    return release
