"""Project.save as Sentry does it, made race-safe: the slug and the id are claimed by conditional
writes in one transaction, so concurrent creates with the same name all succeed with distinct slugs."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared.accounts.creation import create_slugged
from shared.accounts.teams import get_team
from shared.alerts.rules import create_default_rule
from shared.auth.access import OrgAccess
from shared.auth.scopes import PROJECT_CREATE, PROJECT_READ
from shared.errors import NotFound, ValidationFailed
from shared.projects.data_scrubbing import set_data_scrubbing
from shared.projects.features import SETTABLE_FEATURES, set_project_features
from shared.projects.keys import create_project_key
from shared.slugs import RESERVED_PROJECT_SLUGS, base_slug, slug_candidates
from shared.storage.accounts import Pointer, Project, TeamRef

PROJECT_SLUG_MAX = 50
PROJECT_ADMIN = frozenset({"project:admin"})
# A project being deleted is gone for every reader: all lookups below answer 404 for it.
PENDING_DELETION = "pending_deletion"


def create_project(
    access: OrgAccess,
    team_slug: str,
    name: str,
    slug: str | None = None,
    platform: str | None = None,
    default_rules: bool = False,
) -> Project:
    """Create a project owned by ``team_slug``; an explicit slug must be free and not reserved.
    ``default_rules``: with Sentry's default alert rule (the API's default, as Sentry's)."""
    access.require(PROJECT_CREATE)
    team = get_team(access, team_slug)
    if not access.has_team_access(team.id):
        raise NotFound()
    if slug is not None and slug in RESERVED_PROJECT_SLUGS:
        raise ValidationFailed({"slug": [f'The slug "{slug}" is reserved and not allowed.']})
    org_id = access.organization.id

    def candidates():
        if slug is not None:
            return iter([slug])
        base = base_slug(name, PROJECT_SLUG_MAX, RESERVED_PROJECT_SLUGS)
        return slug_candidates(base, PROJECT_SLUG_MAX)

    def build(project_id: int, candidate: str) -> Project:
        pk, sk = Project.key(org_id, candidate)
        return Project(
            pk=pk,
            sk=sk,
            id=project_id,
            org_id=org_id,
            slug=candidate,
            name=name,
            platform=platform,
            teams=[TeamRef(id=team.id, slug=team.slug, name=team.name)],
        )

    project = create_slugged(build, Project.id_key, candidates, "A project with this slug already exists.")
    create_project_key(project)  # Sentry gives every new project a default DSN key
    if default_rules:
        create_default_rule(project)
    return project


def get_project(access: OrgAccess, slug: str, scopes: frozenset[str] = PROJECT_READ) -> Project:
    """A project the caller may see, by slug; 404 when absent or outside the caller's teams."""
    access.require(scopes)
    try:
        project = Project.get(*Project.key(access.organization.id, slug))
    except DoesNotExist:
        raise NotFound() from None
    if project.status == PENDING_DELETION or not access.has_project_access(project):
        raise NotFound()
    return project


def get_project_by_id(project_id: int) -> Project | None:
    """A project by id, whatever its organization (ingestion and group lookups)."""
    try:
        pointer = Pointer.get(*Project.id_key(project_id))
        project = Project.get(pointer.target_pk, pointer.target_sk)
    except DoesNotExist:
        return None
    return None if project.status == PENDING_DELETION else project


def list_projects(access: OrgAccess) -> list[Project]:
    """The organization's projects the caller may see, by slug (one Query)."""
    access.require(PROJECT_READ | {"org:read"})
    pk, prefix = Project.key(access.organization.id, "")
    return access.visible(
        Project.query(pk, Project.sk.startswith(prefix), filter_condition=Project.status != PENDING_DELETION)
    )


def update_project(
    access: OrgAccess, slug: str, features: list[str] | None, data_scrubbing: dict[str, Any] | None = None
) -> Project:
    """Project details PUT: writers may send nothing to change, or data scrubbing options
    (``project:write``, as Sentry's admin serializer); setting feature flags takes an admin and names
    this server does not know are a 400."""
    if features is None:
        project = get_project(access, slug, scopes=PROJECT_CREATE)
    else:
        project = get_project(access, slug, scopes=PROJECT_ADMIN)
        unknown = sorted(set(features) - SETTABLE_FEATURES)
        if unknown:
            raise ValidationFailed({"features": [f"Unknown feature: {name}" for name in unknown]})
        set_project_features(project, set(features))
    return set_data_scrubbing(project, data_scrubbing or {})
