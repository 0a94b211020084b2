"""Releases and their commits as Sentry serializes them (what sentry-cli parses: ``version``,
``dateCreated``, ``newGroups`` never null, ``projects[{slug, name}]``, ``lastCommit.id``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NotRequired

from sentry_relay.exceptions import RelayError
from sentry_relay.processing import parse_release
from typing_extensions import TypedDict

from shared.releases.service import STATUS_ARCHIVED, ReleaseView
from shared.serializers.accounts import UserBody, serialize_user
from shared.serializers.dates import format_datetime
from shared.storage.releases import CommitFileChange, CommitRef, Deploy, DeployRef, Release, ReleaseCommit


class AuthorBody(TypedDict):
    name: str | None
    email: str | None


class CommitRepositoryBody(TypedDict):
    id: str
    name: str


class CommitBody(TypedDict):
    id: str
    message: str | None
    dateCreated: str | None
    author: AuthorBody | None
    repository: NotRequired[CommitRepositoryBody]  # in a release's commit list


class DeployBody(TypedDict):
    id: str
    environment: str
    dateStarted: str | None
    dateFinished: str | None
    name: str | None
    url: str | None


class CommitFileBody(TypedDict):
    id: str
    orgId: int
    author: AuthorBody | dict[str, Any]  # {} when the commit has no author
    commitMessage: str | None
    filename: str
    type: str
    repoName: str | None


class ReleaseProjectBody(TypedDict):
    id: int
    slug: str
    name: str
    newGroups: int
    platform: str | None
    platforms: list[str]
    hasHealthData: bool


class VersionBody(TypedDict):
    raw: str
    major: NotRequired[int]
    minor: NotRequired[int]
    patch: NotRequired[int]
    pre: NotRequired[str | None]
    buildCode: NotRequired[str | None]
    components: NotRequired[int]


class VersionInfoBody(TypedDict):
    package: str | None
    version: VersionBody
    description: str
    buildHash: str | None


class EventReleaseBody(TypedDict):
    """A release as an event's details show it (Sentry's ``GroupEventReleaseSerializer`` with
    ``shortVersion``, ``firstEvent`` and ``lastEvent``): the release item alone, no project,
    owner or group counts."""

    id: int
    version: str
    shortVersion: str
    versionInfo: VersionInfoBody | None
    status: str
    ref: str | None
    url: str | None
    dateReleased: str | None
    dateCreated: str | None
    dateStarted: str | None
    data: dict[str, Any]
    commitCount: int
    lastCommit: CommitBody | None
    authors: list[AuthorBody]
    deployCount: int
    lastDeploy: DeployBody | None
    firstEvent: str | None
    lastEvent: str | None
    userAgent: str | None


class ReleaseBody(EventReleaseBody):
    newGroups: int
    owner: UserBody | None
    currentProjectMeta: dict[str, Any]
    userAgent: str | None
    projects: list[ReleaseProjectBody]
    adoptionStages: NotRequired[dict[str, Any]]  # asked for with ``adoptionStages=1``


@lru_cache(maxsize=4096)
def version_info(version: str) -> VersionInfoBody | None:
    """Sentry's ``versionInfo`` of a release: the version as Relay's release parser reads it
    (``package@version+build``, semver parts when the version is one, or a build hash); None for a
    version the parser refuses. Parsed once per version and process."""
    try:
        info = parse_release(version)
    except RelayError:
        return None
    parsed = info.get("version_parsed")
    body: VersionBody = {"raw": info["version_raw"]}
    if parsed:
        body.update(
            major=parsed["major"],
            minor=parsed["minor"],
            patch=parsed["patch"],
            pre=parsed["pre"],
            buildCode=parsed["build_code"],
            components=parsed["components"],
        )
    return {
        "package": info.get("package"),
        "version": body,
        "description": info["description"],
        "buildHash": info.get("build_hash"),
    }


def serialize_commit(commit: CommitRef, repository_name: str | None = None) -> CommitBody:
    author: AuthorBody | None = None
    if commit.author_email:
        author = {"name": commit.author_name, "email": commit.author_email}
    body: CommitBody = {
        "id": commit.key,
        "message": commit.message,
        "dateCreated": format_datetime(commit.date_added),
        "author": author,
    }
    if repository_name is not None:
        body["repository"] = {"id": str(commit.repository_id), "name": repository_name}
    return body


def serialize_deploy(deploy: Deploy | DeployRef) -> DeployBody:
    """Sentry's Deploy serializer (``id`` as a string, the environment by name)."""
    return {
        "id": str(deploy.id),
        "environment": deploy.environment,
        "dateStarted": format_datetime(deploy.date_started),
        "dateFinished": format_datetime(deploy.date_finished),
        "name": deploy.name,
        "url": deploy.url,
    }


def serialize_commit_file(change: CommitFileChange, row: ReleaseCommit) -> CommitFileBody:
    """Sentry's CommitFileChange serializer: the file, its change type and the commit it is in."""
    commit = row.commit
    author = {"name": commit.author_name, "email": commit.author_email} if commit.author_email else {}
    return {
        "id": str(change.id),
        "orgId": change.org_id,
        "author": author,
        "commitMessage": commit.message,
        "filename": change.filename,
        "type": change.type,
        "repoName": row.repository_name,
    }


def serialize_release_commit(row: ReleaseCommit) -> CommitBody:
    return serialize_commit(row.commit, row.repository_name)


def serialize_event_release(release: Release) -> EventReleaseBody:
    """What the release item itself says, in Sentry's release shape."""
    return {
        "id": release.id,
        "version": release.version,
        "shortVersion": release.version,
        "versionInfo": version_info(release.version),
        "status": "archived" if release.status == STATUS_ARCHIVED else "open",
        "ref": release.ref,
        "url": release.url,
        "dateReleased": format_datetime(release.date_released),
        "dateCreated": format_datetime(release.date_added),
        "dateStarted": format_datetime(release.date_started),
        "data": {},
        "commitCount": release.commit_count or 0,
        "lastCommit": serialize_commit(release.last_commit) if release.last_commit else None,
        "authors": [{"name": a.name, "email": a.email} for a in release.authors or []],
        "deployCount": release.total_deploys or 0,
        "lastDeploy": serialize_deploy(release.last_deploy) if release.last_deploy else None,
        "firstEvent": format_datetime(release.first_event),
        "lastEvent": format_datetime(release.last_event),
        "userAgent": release.user_agent,
    }


def serialize_release(view: ReleaseView) -> ReleaseBody:
    release = view.release
    linked = {int(p) for p in release.project_ids or ()}
    new_groups = {link.project_id: link.new_groups or 0 for link in view.links}
    projects: list[ReleaseProjectBody] = [
        {
            "id": p.id,
            "slug": p.slug,
            "name": p.name,
            "newGroups": new_groups.get(p.id, 0),
            "platform": p.platform,
            "platforms": [p.platform] if p.platform else [],
            "hasHealthData": False,
        }
        for p in sorted(view.projects, key=lambda p: p.slug)
        if p.id in linked
    ]
    body: ReleaseBody = {
        **serialize_event_release(release),
        "newGroups": sum(new_groups.values()),
        "owner": serialize_user(view.owner) if view.owner is not None else None,
        "currentProjectMeta": view.current_project_meta,
        "projects": projects,
    }
    if view.adoption_stages is not None:
        body["adoptionStages"] = view.adoption_stages
    return body
