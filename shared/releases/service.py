"""The release flows: create (idempotent upsert), read, list, update (Sentry's PUT) and delete.

Every flow validates the whole request before its first write (``../shared/contract/decisions.md``
4): projects, repositories of refs and permissions are checked first, so a 400 leaves everything as
it was."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from shared.artifacts.bundles import delete_release_bundles
from shared.auth.access import OrgAccess
from shared.auth.scopes import RELEASE_DELETE, RELEASE_READ, RELEASE_WRITE
from shared.errors import BadRequest, ValidationFailed
from shared.issues.status.pending_resolutions import settle_pending_resolutions
from shared.metrics import RELEASES_UPDATED, count
from shared.releases.access import (
    links_visible,
    organization_projects,
    release_visible,
    require_release_access,
    visible_project_ids,
)
from shared.releases.commits import CommitInput, clear_commits, set_commits, update_live_release
from shared.releases.ordering import project_versions
from shared.releases.refs import Ref, ref_repositories, set_refs
from shared.sequences import allocate
from shared.storage.accounts import Project, User
from shared.storage.base import BATCH_WRITE_LIMIT, batch_get, chunked, condition_failed, utcnow
from shared.storage.releases import Release, ReleaseActivity, ReleaseItem, ReleaseProject

STATUS_OPEN, STATUS_ARCHIVED = 0, 1
STATUS_VALUES = {"open": STATUS_OPEN, "archived": STATUS_ARCHIVED}
ACTIVITY_RELEASE = 10
ACTIVITY_IDENT_LENGTH = 64
INVALID_PROJECTS = "Invalid project ids or slugs"


@dataclass
class ReleaseChanges:
    """What a PUT (or the update part of a POST) asks for; ``None`` means "not submitted"."""

    ref: str | None = None
    url: str | None = None
    date_released: datetime | None = None
    date_started: datetime | None = None
    status: str | None = None
    commits: list[CommitInput] | None = None
    refs: list[Ref] | None = None
    clear_commits: bool = False
    projects: list[str | int] | None = None


@dataclass
class ReleaseView:
    """A release with what its serializer needs: the organization's projects, its links, its owner,
    and what only the details GET adds (``currentProjectMeta``, ``adoptionStages``)."""

    release: Release
    projects: list[Project]
    links: list[ReleaseProject]
    owner: User | None = None
    current_project_meta: dict[str, Any] = field(default_factory=dict)
    adoption_stages: dict[str, Any] | None = None


def _owners(releases: list[Release]) -> dict[int, User]:
    """The users who created ``releases`` (one BatchGetItem per 100; none without owners)."""
    ids = sorted({r.owner_id for r in releases if r.owner_id is not None})
    return {u.id: u for u in batch_get(User, [User.key(i) for i in ids])}


def _view(release: Release, projects: list[Project]) -> ReleaseView:
    owner = _owners([release]).get(release.owner_id) if release.owner_id is not None else None
    return ReleaseView(release, projects, _links(release), owner)


def find_release(org_id: int, version: str, consistent: bool = False) -> Release | None:
    try:
        return Release.get(*Release.key(org_id, version), consistent_read=consistent)
    except DoesNotExist:
        return None


def _links(release: Release) -> list[ReleaseProject]:
    return list(ReleaseProject.query(release.pk, ReleaseProject.sk.startswith("PROJECT#")))


def resolve_projects(access: OrgAccess, projects: list[Project], entries: list[str | int]) -> list[Project]:
    """Each entry a slug or an id of a project the caller can see; else 400."""
    visible = access.visible(projects)
    by_slug = {p.slug: p for p in visible}
    by_id = {p.id: p for p in visible}
    chosen: dict[int, Project] = {}
    for entry in entries:
        text = str(entry)
        project = by_id.get(int(text)) if text.isdecimal() else by_slug.get(text)
        if project is None:
            raise ValidationFailed({"projects": [INVALID_PROJECTS]})
        chosen[project.id] = project
    return list(chosen.values())


def _metadata_actions(release: Release, changes: ReleaseChanges) -> list[Any]:
    """Sentry stores ref/url/dateReleased only when truthy; status open/archived always
    (``../shared/contract/decisions.md`` 1)."""
    actions = []
    if changes.ref:
        actions.append(Release.ref.set(changes.ref))
    if changes.url:
        actions.append(Release.url.set(changes.url))
    if changes.date_released:
        actions.append(Release.date_released.set(changes.date_released))
    if changes.status is not None and STATUS_VALUES[changes.status] != release.status:
        actions.append(Release.status.set(STATUS_VALUES[changes.status]))
    return actions


def _link_projects(release: Release, projects: list[Project]) -> list[Project]:
    """Link ``projects`` not yet linked; returns the newly linked ones.

    Each link is an UpdateItem, not a put: a group first seen in this release may already have
    counted itself in the link's ``new_groups``, and that count must survive the linking."""
    linked = set(link_project_ids(release, [p.id for p in projects]))
    return [p for p in projects if p.id in linked]


def link_project_ids(release: Release, project_ids: list[int]) -> list[int]:
    """Link the projects of ``project_ids`` not yet linked (see ``_link_projects``); the new ones."""
    new = sorted({int(i) for i in project_ids} - {int(i) for i in release.project_ids or ()})
    if not new:
        return []
    update_live_release(release, [Release.project_ids.add(set(new))])
    for project_id in new:
        link = ReleaseProject(*ReleaseProject.key(release.org_id, release.version, project_id))
        link.update(
            actions=[
                ReleaseProject.kind.set(ReleaseProject),
                ReleaseProject.release_id.set(release.id),
                ReleaseProject.project_id.set(project_id),
                ReleaseProject.gsi1pk.set(ReleaseProject.project_index_pk(project_id)),
                ReleaseProject.gsi1sk.set(release.gsi1sk),
                ReleaseProject.new_groups.add(0),
            ]
        )
    return new


def _batch_save(rows: list[ReleaseItem]) -> None:
    for chunk in chunked(rows, BATCH_WRITE_LIMIT):
        with ReleaseItem.batch_write() as batch:
            for row in chunk:
                batch.save(row)


def _record_release_activity(release: Release, project_ids: list[int]) -> None:
    """One Activity RELEASE per linked project when the release is first released
    (``../shared/contract/decisions.md`` 9)."""
    rows = []
    for project_id in project_ids:
        pk, sk = ReleaseActivity.key(release.org_id, release.version, project_id)
        rows.append(
            ReleaseActivity(
                pk=pk,
                sk=sk,
                type=ACTIVITY_RELEASE,
                project_id=project_id,
                ident=release.version[:ACTIVITY_IDENT_LENGTH],
                data={"version": release.version},
                datetime=release.date_released,
            )
        )
    _batch_save(rows)


def _apply(
    access: OrgAccess, release: Release, changes: ReleaseChanges, new_projects: list[Project], refs_repos: Any
) -> None:
    """The writes of an update, in Sentry's order, after everything has been validated."""
    was_released = release.date_released is not None
    actions = _metadata_actions(release, changes)
    if actions:
        update_live_release(release, actions)
    newly_linked = _link_projects(release, new_projects)
    if newly_linked:
        settle_pending_resolutions(release, [p.id for p in newly_linked])
    if changes.commits:
        set_commits(release, changes.commits)
    if changes.refs:
        set_refs(release, changes.refs, refs_repos, fetch=not changes.commits)
    elif changes.clear_commits:
        clear_commits(release)
    if release.date_released is not None:
        linked = sorted(int(p) for p in release.project_ids or ())
        if not was_released:
            _record_release_activity(release, linked)
        elif newly_linked:
            _record_release_activity(release, [p.id for p in newly_linked])


def update_release(access: OrgAccess, version: str, changes: ReleaseChanges) -> ReleaseView:
    """Sentry's PUT: 404 for a missing or hidden release, 400 before any write, only submitted fields."""
    access.require(RELEASE_WRITE)
    projects = organization_projects(access)
    release = require_release_access(access, find_release(access.organization.id, version), projects)
    new_projects = resolve_projects(access, projects, changes.projects) if changes.projects else []
    repos = ref_repositories(release.org_id, changes.refs) if changes.refs else {}
    _apply(access, release, changes, new_projects, repos)
    count(RELEASES_UPDATED)
    return _view(release, projects)


def create_release(
    access: OrgAccess, version: str, changes: ReleaseChanges, user_agent: str | None
) -> tuple[ReleaseView, bool]:
    """Sentry's POST: get-or-create by version, merge projects, update status; True when something
    was created or linked (201), False when all was already there (208).

    The caller must be able to see the release the request leaves behind: linked to at least one
    project, every one of them visible to the caller. Anything else is the one refusal
    ``projects: Invalid project ids or slugs``, whether the version is new or exists in projects the
    caller cannot see, so the answer names no hidden project."""
    access.require(RELEASE_WRITE)
    org_id = access.organization.id
    projects = organization_projects(access)
    wanted = resolve_projects(access, projects, changes.projects or [])
    repos = ref_repositories(org_id, changes.refs) if changes.refs else {}
    visible = visible_project_ids(access, projects)
    release = find_release(org_id, version, consistent=True)
    _require_visible_result(release, wanted, visible)
    created = False
    if release is None:
        release, created = create_release_row(org_id, version, changes, access.principal.user_id, user_agent)
        if not created:
            _require_visible_result(release, wanted, visible)
    linked_before = len(release.project_ids or ())
    _apply(access, release, replace(changes, clear_commits=False), wanted, repos)
    return _view(release, projects), created or len(release.project_ids or ()) > linked_before


def _require_visible_result(release: Release | None, wanted: list[Project], visible: set[int]) -> None:
    """400 unless the release, once ``wanted`` is linked, is one the caller may see."""
    linked = set() if release is None else {int(p) for p in release.project_ids or ()}
    if not links_visible(linked | {p.id for p in wanted}, visible):
        raise ValidationFailed({"projects": [INVALID_PROJECTS]})


def create_release_row(
    org_id: int, version: str, changes: ReleaseChanges, owner_id: int | None, user_agent: str | None
) -> tuple[Release, bool]:
    now = utcnow()
    pk, sk = Release.key(org_id, version)
    release = Release(
        pk=pk,
        sk=sk,
        gsi1pk=f"ORG#{org_id}",
        gsi1sk=f"{now.isoformat()}#{version}",
        id=allocate("release")[0],
        org_id=org_id,
        version=version,
        version_lower=version.lower(),
        ref=changes.ref or None,
        url=changes.url or None,
        status=STATUS_VALUES[changes.status or "open"],
        owner_id=owner_id,
        user_agent=(user_agent or "")[:256] or None,
        date_added=now,
        date_started=changes.date_started,
    )
    try:
        release.save(condition=Release.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        existing = find_release(org_id, version, consistent=True)
        if existing is None:
            raise
        return existing, False
    return release, True


def get_release(access: OrgAccess, version: str) -> ReleaseView:
    access.require(RELEASE_READ)
    projects = organization_projects(access)
    release = require_release_access(access, find_release(access.organization.id, version), projects)
    return _view(release, projects)


def delete_release(access: OrgAccess, version: str) -> None:
    """Delete a release and its rows; 400 while it is some group's first release
    (docs/decisions.md §releases.7)."""
    access.require(RELEASE_DELETE)
    projects = organization_projects(access)
    release = require_release_access(access, find_release(access.organization.id, version), projects)
    rows = list(ReleaseItem.query(release.pk))
    if any(isinstance(r, ReleaseProject) and (r.new_groups or 0) > 0 for r in rows):
        raise BadRequest("This release is referenced by active issues and cannot be removed.")
    for chunk in chunked(rows, BATCH_WRITE_LIMIT):
        with ReleaseItem.batch_write() as batch:
            for row in chunk:
                batch.delete(row)
    delete_release_bundles(access.organization.id, version)


def release_commits(access: OrgAccess, version: str) -> tuple[Release, list[Any]]:
    """The release's commit rows in order (newest first)."""
    view = get_release(access, version)
    return view.release, list(ReleaseItem.query(view.release.pk, ReleaseItem.sk.startswith("COMMIT#")))


@dataclass
class ReleaseListing:
    """Releases to page through lazily, with the projects their serializer shows."""

    projects: list[Project]
    releases: Iterator[Release]

    def views(self, page: list[Release]) -> list[ReleaseView]:
        """Views of one page of releases, with their project links (``newGroups``) read in one
        BatchGetItem per 100 links."""
        keys = [
            ReleaseProject.key(r.org_id, r.version, int(project_id))
            for r in page
            for project_id in sorted(r.project_ids or ())
        ]
        links: dict[str, list[ReleaseProject]] = {}
        for link in batch_get(ReleaseProject, keys):
            links.setdefault(link.pk, []).append(link)
        owners = _owners(page)
        return [ReleaseView(r, self.projects, links.get(r.pk, []), owners.get(r.owner_id or 0)) for r in page]


def list_releases(
    access: OrgAccess, project: Project | None, status: str | None, query: str | None
) -> ReleaseListing:
    """Releases newest first: an organization's (``gsi1pk ORG#``) or one project's (via its links),
    filtered by status (``None`` = any) and a case-insensitive ``query``, hidden ones left out."""
    access.require(RELEASE_READ)
    if status is not None and status not in STATUS_VALUES:
        raise BadRequest("invalid value for status")
    projects = organization_projects(access)
    return ReleaseListing(projects, _visible_releases(access, projects, project, status, query))


def _visible_releases(
    access: OrgAccess, projects: list[Project], project: Project | None, status: str | None, query: str | None
) -> Iterator[Release]:
    visible = visible_project_ids(access, projects)
    org_id = access.organization.id
    if project is not None:
        versions = project_versions(project.id, limit=None)
        candidates: Iterator[Release] = (r for v in versions if (r := find_release(org_id, v)) is not None)
    else:
        candidates = Release.by_date.query(f"ORG#{org_id}", scan_index_forward=False)
    for release in candidates:
        if status is not None and (release.status or 0) != STATUS_VALUES[status]:
            continue
        if query and query.lower() not in release.version_lower:
            continue
        if release_visible(release, visible):
            yield release


def previous_with_commits(access: OrgAccess, version: str) -> Release | None:
    """The newest earlier release of the organization that has commits (sentry-cli's git mode)."""
    current = get_release(access, version).release
    for release in list_releases(access, None, None, None).releases:
        if release.gsi1sk < current.gsi1sk and release.last_commit is not None:
            return release
    return None
