"""``GET /organizations/{org}/releases/{version}/``: the query parameters Sentry reads and validates,
and, for one project, the release's neighbours in that project's release order
(``currentProjectMeta``).

Neighbours follow Sentry: releases ordered by date added then id; ``prev``/``next`` honour the
``status``, ``query`` and ``environment`` filters (never the stats period), ``first``/``last`` only
the environment. A project's releases come from its links (``by_date`` index), an environment's
from the release-project-environment rows that deploys write (same index), and the releases
themselves from one BatchGetItem per 100."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.auth.access import OrgAccess
from shared.errors import BadRequest, NotFound
from shared.releases.service import ReleaseView, get_release
from shared.storage.base import batch_get
from shared.storage.releases import Release, ReleaseProject, ReleaseProjectEnvironment, version_of

# Sentry's release-health STATS_PERIODS, in its order (the error message lists them so).
STATS_PERIODS = ("1h", "24h", "1d", "48h", "2d", "7d", "14d", "30d", "90d")
STATUS_FILTERS = {"open": 0, "archived": 1}


@dataclass(frozen=True)
class DetailsQuery:
    """The validated query string of a release details GET."""

    project_id: int | None = None
    health: bool = False
    adoption_stages: bool = False
    summary_stats_period: str = "14d"
    health_stats_period: str = ""
    sort: str = "date"
    status: str = "open"
    query: str | None = None
    environments: list[str] = field(default_factory=list)


def _period(name: str, value: str | None, default: str) -> str:
    period = default if value is None else value
    if period and period not in STATS_PERIODS:
        choices = ", ".join(f"'{p}'" for p in STATS_PERIODS)
        raise BadRequest(f"Invalid {name}. Valid choices are {choices}")
    return period


def _flag(value: str | None) -> bool:
    return value in {"1", "true", "True"}


def parse_details_query(params: dict[str, list[str]]) -> DetailsQuery:
    """Sentry's reading of the query string; 400 with its messages for refused values."""

    def last(name: str) -> str | None:
        values = params.get(name) or []
        return values[-1] if values else None

    projects = params.get("project") or []
    if not all(p.lstrip("-").isdecimal() for p in projects):
        raise BadRequest("Invalid project parameter. Values must be numbers.")
    project_ids = [int(p) for p in projects if int(p) != -1]
    health = _flag(last("health"))
    sort = last("sort") or "date"
    status = last("status") or "open"
    if status not in STATUS_FILTERS:
        raise BadRequest("invalid value for status")
    parsed = DetailsQuery(
        project_id=project_ids[0] if project_ids else None,
        health=health,
        adoption_stages=_flag(last("adoptionStages")),
        summary_stats_period=_period("summaryStatsPeriod", last("summaryStatsPeriod"), "14d"),
        health_stats_period=_period("healthStatsPeriod", last("healthStatsPeriod"), "24h" if health else ""),
        sort=sort,
        status=status,
        query=last("query"),
        environments=[e for e in params.get("environment") or [] if e],
    )
    if parsed.project_id is not None and sort != "date":
        raise BadRequest("invalid sort")
    return parsed


def _ordered(releases: list[Release]) -> list[Release]:
    return sorted(releases, key=lambda r: (r.date_added, r.id))


def _project_releases(org_id: int, project_id: int, environments: list[str]) -> list[Release]:
    """The project's releases (in one of ``environments`` when given), oldest first."""
    links = ReleaseProject.by_date.query(ReleaseProject.project_index_pk(project_id))
    versions = {version_of(link.pk) for link in links}
    if environments:
        in_environment: set[str] = set()
        for environment in environments:
            rows = ReleaseProjectEnvironment.by_date.query(
                ReleaseProjectEnvironment.index_pk(project_id, environment)
            )
            in_environment.update(version_of(row.pk) for row in rows)
        versions &= in_environment
    return _ordered(batch_get(Release, [Release.key(org_id, v) for v in sorted(versions)]))


def current_project_meta(release: Release, query: DetailsQuery, project_ids: set[int]) -> dict[str, Any]:
    """Sentry's ``currentProjectMeta`` for ``query.project_id`` ({} without a project); 404 when the
    release is not in that project, 400 "Invalid project" with ``health`` when ``project_ids`` (the
    organization's projects) has no such project."""
    if query.project_id is None:
        return {}
    if query.health and query.project_id not in project_ids:
        raise BadRequest("Invalid project")
    if not release.links_project(query.project_id):
        raise NotFound()
    candidates = _project_releases(release.org_id, query.project_id, query.environments)
    position = (release.date_added, release.id)
    wanted = STATUS_FILTERS[query.status]
    needle = (query.query or "").lower()
    filtered = [
        r for r in candidates if (r.status or 0) == wanted and (not needle or needle in r.version_lower)
    ]
    older = [r for r in filtered if (r.date_added, r.id) < position]
    newer = [r for r in filtered if (r.date_added, r.id) > position]
    return {
        "nextReleaseVersion": newer[0].version if newer else None,
        "prevReleaseVersion": older[-1].version if older else None,
        "firstReleaseVersion": candidates[0].version if candidates else None,
        "lastReleaseVersion": candidates[-1].version if candidates else None,
        "sessionsUpperBound": None,
        "sessionsLowerBound": None,
    }


def adoption_stages(view_projects: list[Any], release: Release) -> dict[str, Any]:
    """Sentry's ``adoptionStages`` per linked project. Adoption is measured from release-health
    sessions, which this system does not collect: every stage is ``low_adoption`` with no dates."""
    linked = {int(p) for p in release.project_ids or ()}
    return {
        p.slug: {"stage": "low_adoption", "adopted": None, "unadopted": None}
        for p in view_projects
        if p.id in linked
    }


def release_details(access: OrgAccess, version: str, params: dict[str, list[str]]) -> ReleaseView:
    """The release as its details GET shows it, with the query's validation and extras."""
    query = parse_details_query(params)
    view = get_release(access, version)
    view.current_project_meta = current_project_meta(view.release, query, {p.id for p in view.projects})
    if query.adoption_stages:
        view.adoption_stages = adoption_stages(view.projects, view.release)
    return view
