"""Who may see a release: Sentry's ``has_release_permission``, made strict.

A release is visible when the caller can access every project it is linked to (organization
tokens, owners, managers and open-membership organizations access every project). Sentry settles
for any one project; we do not let a member of one team act on another team's release. Hidden
releases answer 404, like missing ones."""

from __future__ import annotations

from shared.auth.access import OrgAccess
from shared.errors import NotFound
from shared.storage.accounts import Project
from shared.storage.releases import Release


def organization_projects(access: OrgAccess) -> list[Project]:
    """Every project of the organization (one Query of its partition)."""
    pk, prefix = Project.key(access.organization.id, "")
    return list(Project.query(pk, Project.sk.startswith(prefix)))


def visible_project_ids(access: OrgAccess, projects: list[Project]) -> set[int]:
    return {p.id for p in access.visible(projects)}


def links_visible(linked: set[int], visible_ids: set[int]) -> bool:
    """The one rule: linked to at least one project, and every linked project visible."""
    return bool(linked) and linked <= visible_ids


def release_visible(release: Release, visible_ids: set[int]) -> bool:
    return links_visible({int(p) for p in release.project_ids or ()}, visible_ids)


def require_release_access(access: OrgAccess, release: Release | None, projects: list[Project]) -> Release:
    """The release if the caller may see it; 404 when it is missing or any of its projects is hidden."""
    if release is None or not release_visible(release, visible_project_ids(access, projects)):
        raise NotFound()
    return release
