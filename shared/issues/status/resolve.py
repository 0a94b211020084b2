"""Resolving groups from an issue update (Sentry's handle_resolve_in_release): now, in the next
release, in a given release, or in a commit.

The release or commit is looked up before anything is written; each group's resolution is then
part of its one transaction (status, resolution row, inbox removal, activity, history), conditional
on the status the decision was made from. Groups already resolved are skipped, as the newest Sentry
does. ``resolvedInNextRelease`` picks the project's greatest semantic version when it follows
semver, else its most recently added release (without releases: pending for the project's first);
``inNextRelease``/``inRelease: latest`` take the most recently added one, as Sentry's
validator does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared.errors import BadRequest, ValidationFailed
from shared.issues.activity import new_activity
from shared.issues.enums import (
    GroupResolutionStatus,
    GroupResolutionType,
)
from shared.issues.history import new_group_history
from shared.issues.state import GroupState
from shared.issues.status.pending_resolutions import (
    before_any_release,
    future_index_pk,
    pending_index_pk,
    pending_index_sk,
)
from shared.issues.status.transitions import (
    RESOLVED,
    RESOLVED_IN_COMMIT,
    RESOLVED_IN_RELEASE,
    InboxEffect,
    StatusTransition,
)
from shared.issues.updates.changes import GroupChange
from shared.issues.updates.request import IssueUpdate
from shared.releases.commit_releases import latest_release_with_commit
from shared.releases.ordering import follows_semver, greatest_semver_version, project_versions, semver_key
from shared.releases.versions import is_valid_version
from shared.serializers.dates import format_datetime
from shared.storage.accounts import Project
from shared.storage.base import utcnow
from shared.storage.issues import Group, GroupInbox, GroupLink, GroupResolution
from shared.storage.releases import Commit, Release, Repository

NO_RELEASE = "No release data present in the system to form a basis for 'Next Release'"
UNKNOWN_RELEASE = "Unable to find a release with the given version."
FUTURE_RELEASE_FEATURE = "organizations:resolve-in-future-release"
NO_FEATURE = "Your organization does not have access to this feature."
INVALID_VERSION = "Invalid release version format. Please use a valid version."
INVALID_SEMVER = "Invalid semver format. Please use format: package@major.minor.patch[-prerelease][+build]"


# Resolutions that wait for a later release, by the kind of target.
PENDING_KINDS = {
    "next_release": GroupResolutionType.IN_NEXT_RELEASE,
    "upcoming_release": GroupResolutionType.IN_UPCOMING_RELEASE,
}


@dataclass(frozen=True)
class ResolveTarget:
    """How the groups are resolved: ``kind`` is next_release, release, commit or now. A commit
    target carries the newest release of the project that contains the commit, if any."""

    kind: str
    release: Release | None = None
    commit: Commit | None = None
    repository: Repository | None = None
    future_version: str | None = None


def latest_release(project: Project) -> Release | None:
    """The project's most recently added release (one Query of the project's links, one GetItem)."""
    version = next(project_versions(project.id, limit=1), None)
    if version is None:
        return None
    try:
        return Release.get(*Release.key(project.org_id, version))
    except DoesNotExist:
        return None


def release_to_resolve_by(project: Project) -> Release | None:
    """Sentry's ``get_release_to_resolve_by`` for ``resolvedInNextRelease``: the greatest semantic
    version when the project follows semver, else the most recently added release."""
    if follows_semver(project.id):
        version = greatest_semver_version(project.id)
        if version is not None:
            return _release_in_project(project.org_id, version, project)
    return latest_release(project)


def _release_in_project(org_id: int, version: str, project: Project) -> Release | None:
    try:
        release = Release.get(*Release.key(org_id, version))
    except DoesNotExist:
        return None
    return release if release.links_project(project.id) else None


def _future_version(version: str, features: frozenset[str]) -> str:
    """``inFutureRelease``: the feature, a valid version, and a semantic one (``package@1.2.3``)."""
    if FUTURE_RELEASE_FEATURE not in features:
        raise ValidationFailed({"statusDetails": {"inFutureRelease": [NO_FEATURE]}})
    if not is_valid_version(version):
        raise ValidationFailed({"statusDetails": {"inFutureRelease": [INVALID_VERSION]}})
    if "@" not in version or semver_key(version) is None:
        raise ValidationFailed({"statusDetails": {"inFutureRelease": [INVALID_SEMVER]}})
    return version


def validate_status_details(
    update: IssueUpdate, org_id: int, projects: list[Project], features: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """StatusDetailsValidator's database checks, per project: what the validator resolved to."""
    details = update.status_details
    found: dict[str, Any] = {}
    if details.in_future_release is not None:
        found["future"] = _future_version(details.in_future_release, features)
    for project in projects:
        if details.in_next_release is not None:
            found["next"] = latest_release(project)
            if found["next"] is None:
                raise ValidationFailed({"statusDetails": {"inNextRelease": [NO_RELEASE]}})
        if details.in_upcoming_release:
            found["upcoming"] = latest_release(project)
            if found["upcoming"] is None:
                raise ValidationFailed({"statusDetails": {"inUpcomingRelease": [NO_RELEASE]}})
        if "future" in found:
            found["future_release"] = _release_in_project(org_id, found["future"], project)
        if details.in_release is not None:
            if details.in_release == "latest":
                release = latest_release(project)
                if release is None:
                    raise ValidationFailed({"statusDetails": {"inRelease": [NO_RELEASE]}})
            else:
                release = _release_in_project(org_id, details.in_release, project)
                if release is None:
                    raise ValidationFailed({"statusDetails": {"inRelease": [UNKNOWN_RELEASE]}})
            found["release"] = release
    if details.in_commit is not None:
        found["commit"] = _find_commit(org_id, details.in_commit.repository, details.in_commit.commit)
    return found


def _find_commit(org_id: int, repository_name: str, commit_key: str) -> tuple[Repository, Commit]:
    try:
        repository = Repository.get(*Repository.key(org_id, repository_name))
    except DoesNotExist:
        raise ValidationFailed(
            {"statusDetails": {"inCommit": {"repository": ["Unable to find the given repository."]}}}
        ) from None
    try:
        commit = Commit.get(*Commit.item_key(repository.id, commit_key))
    except DoesNotExist:
        raise ValidationFailed(
            {"statusDetails": {"inCommit": {"commit": ["Unable to find the given commit."]}}}
        ) from None
    return repository, commit


def resolve_target(
    update: IssueUpdate, org_id: int, projects: list[Project], features: frozenset[str] = frozenset()
) -> ResolveTarget:
    """The branch of Sentry's table for this update (precedence: next release, upcoming release,
    release, future release, commit, now)."""
    found = validate_status_details(update, org_id, projects, features)
    details = update.status_details
    kind = "now"
    if update.status == "resolvedInNextRelease" or details.in_next_release:
        kind = "next_release"
    elif details.in_upcoming_release:
        kind = "upcoming_release"
    elif details.in_release is not None:
        kind = "release"
    elif "future" in found:
        kind = "future_release"
    elif details.in_commit is not None:
        kind = "commit"
    if kind == "now":
        return ResolveTarget("now")
    if len(projects) > 1:
        raise BadRequest("Cannot set resolved for multiple projects.")
    if kind == "next_release":
        # No release yet: resolved now, pending for the first release the project gets.
        return ResolveTarget(kind, release=found.get("next") or release_to_resolve_by(projects[0]))
    if kind == "upcoming_release":
        return ResolveTarget(kind, release=found["upcoming"])
    if kind == "release":
        return ResolveTarget(kind, release=found["release"])
    if kind == "future_release":
        # A future release that already exists is simply the release to resolve in.
        if found.get("future_release") is not None:
            return ResolveTarget("release", release=found["future_release"])
        return ResolveTarget(kind, future_version=found["future"])
    repository, commit = found["commit"]
    release = latest_release_with_commit(commit.id, projects[0].id)
    return ResolveTarget(kind, release=release, commit=commit, repository=repository)


def serialize_commit(commit: Commit, repository: Repository) -> dict[str, Any]:
    return {
        "id": commit.key,
        "message": commit.message,
        "dateCreated": format_datetime(commit.date_added),
        "repository": {"id": str(repository.id), "name": repository.name},
    }


def status_details(target: ResolveTarget, actor: dict[str, Any] | None) -> dict[str, Any]:
    if target.kind == "next_release":
        return {"inNextRelease": True, "actor": actor}
    if target.kind == "upcoming_release":
        return {"inUpcomingRelease": True, "actor": actor}
    if target.kind == "future_release":
        return {"inFutureRelease": target.future_version, "actor": actor}
    if target.kind == "release" and target.release is not None:
        return {"inRelease": target.release.version, "actor": actor}
    if target.kind == "commit" and target.commit is not None and target.repository is not None:
        return {"inCommit": serialize_commit(target.commit, target.repository), "actor": actor}
    return {}


def _resolution_rule(target: ResolveTarget) -> StatusTransition:
    """The row of the status table: in a commit, in a release (now, pending or future), or now."""
    if target.commit is not None:
        return RESOLVED_IN_COMMIT
    if target.future_version is not None or target.release is not None or target.kind == "next_release":
        return RESOLVED_IN_RELEASE
    return RESOLVED


def plan_resolve(state: GroupState, change: GroupChange, target: ResolveTarget, actor_id: int | None) -> bool:
    """Add the group's resolution to ``change``; False when it is already resolved (skipped).

    In four phases: the status change the table's row makes, the resolution row that says which
    release the group is resolved in (or its removal), the link to the fixing commit, then the
    activity and history rows that log it."""
    group = state.group
    rule = _resolution_rule(target)
    if not rule.starts_from(group.status, None):
        return False  # already resolved: the newest Sentry leaves it as it is and logs nothing
    now = utcnow()
    # 1. The status, on condition that it is still the one read; out of the inbox.
    change.update([*rule.actions(group), Group.resolved_at.set(now)], condition=Group.status == group.status)
    if rule.inbox is InboxEffect.REMOVE:
        change.delete(GroupInbox(*GroupInbox.key(group.id)))
    # 2. The release it is resolved in replaces any earlier resolution; resolved "now" ends it.
    resolution = _resolution_row(group, target, actor_id, now)
    if resolution is not None:
        change.put(resolution)
    elif state.resolution is not None:
        change.delete(state.resolution)
    # 3. In a commit: the group's link to it (the commit lists the group once this is written).
    if target.commit is not None:
        change.put(_commit_link(group, target.commit))
    # 4. The log, in Sentry's order: the activity, then the history row.
    data, ident = _activity_details(target)
    change.put(
        new_activity(group, rule.activity, user_id=actor_id, ident=ident, data=data, when=change.tick())
    )
    release_version = target.release.version if target.release is not None else None
    change.put(
        new_group_history(
            group, rule.history, user_id=actor_id, release_version=release_version, when=change.tick()
        )
    )
    return True


def _resolution_row(
    group: Group, target: ResolveTarget, actor_id: int | None, now: datetime
) -> GroupResolution | None:
    """The GroupResolution of a release target: PENDING and listed in the index its settling reads
    (future release: by package and version; next or upcoming release: by the date of the release it
    must be newer than), or RESOLVED in a release that exists. None when resolved now or in a commit
    no release contains yet."""
    pk, sk = GroupResolution.key(group.id)
    if target.future_version is not None:
        # Not released yet: waits for a release of the same package with at least this version.
        return GroupResolution(
            pk=pk,
            sk=sk,
            type=int(GroupResolutionType.IN_FUTURE_RELEASE),
            status=int(GroupResolutionStatus.PENDING),
            release_version=target.future_version,
            actor_id=actor_id,
            datetime=now,
            gsi2pk=future_index_pk(group.project_id),
            gsi2sk=f"{group.id:020d}",
        )
    release = target.release
    if release is None and target.kind == "next_release":
        # The project has no release yet: pending for the first one it gets.
        return GroupResolution(
            pk=pk,
            sk=sk,
            type=int(GroupResolutionType.IN_NEXT_RELEASE),
            status=int(GroupResolutionStatus.PENDING),
            release_version="",
            actor_id=actor_id,
            datetime=now,
            gsi2pk=pending_index_pk(group.project_id),
            gsi2sk=before_any_release(group.id),
        )
    if release is None:
        return None
    # Next / upcoming release: pending until a newer release settles it; otherwise resolved in it.
    pending = target.kind in PENDING_KINDS
    return GroupResolution(
        pk=pk,
        sk=sk,
        type=int(PENDING_KINDS.get(target.kind, GroupResolutionType.IN_RELEASE)),
        status=int(GroupResolutionStatus.PENDING if pending else GroupResolutionStatus.RESOLVED),
        release_version=release.version,
        release_id=release.id,
        actor_id=actor_id,
        datetime=now,
        gsi2pk=pending_index_pk(group.project_id) if pending else None,
        gsi2sk=pending_index_sk(release, group.id) if pending else None,
    )


def _commit_link(group: Group, commit: Commit) -> GroupLink:
    """The group's link to the commit that fixes it (resolved in the newest release holding the
    commit, when there is one: ``_resolution_row``)."""
    pk, sk = GroupLink.commit_key(group.id, commit.id)
    return GroupLink(pk=pk, sk=sk, linked_id=commit.id, project_id=group.project_id, group_id=group.id)


def _activity_details(target: ResolveTarget) -> tuple[dict[str, Any], str | None]:
    """The activity's data and ident, as Sentry logs them: the commit, else the future version, else
    the release (its version once resolved in it, empty while pending); the ident names the release."""
    release = target.release
    ident = str(release.id) if release is not None and target.future_version is None else None
    if target.commit is not None:
        return {"commit": target.commit.id}, ident
    if target.future_version is not None:
        return {"future_release_version": target.future_version}, None
    if release is not None:
        return {"version": "" if target.kind in PENDING_KINDS else release.version}, ident
    if target.kind == "next_release":  # pending for the project's first release
        return {"version": ""}, None
    return {}, None
