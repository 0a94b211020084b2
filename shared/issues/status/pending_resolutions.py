"""Pending resolutions ("resolved in the next / an upcoming / a future release") that a newer
release settles (Sentry's ``clear_expired_resolutions``).

A pending resolution is listed in the issues table's sparse ``gsi2`` index under
``PENDINGRESOLUTION#<project_id>``, sorted by the date its release was added, so a release newly
linked to a project finds the resolutions it settles with one Query: those of older releases. Each
becomes "resolved in" the new release, and the activity that recorded the resolution names it, in
one transaction of two items per group.

"Resolved in a future release" (``package@1.2.3``) waits under ``FUTURERESOLUTION#<project_id>`` for
a release of the project with the same package and a semantic version at least that one."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from shared.issues.enums import ActivityType, GroupResolutionStatus, GroupResolutionType
from shared.issues.row_keys import index_keys
from shared.issues.transaction import transaction
from shared.releases.ordering import semver_key
from shared.storage.base import batch_get, cancelled_by_condition
from shared.storage.issues import Activity, GroupResolution
from shared.storage.releases import Release

INDEX = "pending_deletion"  # the table's sparse gsi2; its partitions never mix
PENDING_TYPES = (GroupResolutionType.IN_NEXT_RELEASE, GroupResolutionType.IN_UPCOMING_RELEASE)


def pending_index_pk(project_id: int) -> str:
    return f"PENDINGRESOLUTION#{project_id}"


def pending_index_sk(release: Release, group_id: int) -> str:
    return f"{release.date_added.isoformat()}#{group_id:020d}"


def before_any_release(group_id: int) -> str:
    """The sort key of a resolution pending on a project without releases: before every release's
    date, so the first release linked to the project settles it."""
    return f"0000#{group_id:020d}"


def future_index_pk(project_id: int) -> str:
    return f"FUTURERESOLUTION#{project_id}"


def settle_pending_resolutions(release: Release, project_ids: list[int]) -> int:
    """Resolve in ``release`` every pending resolution of these projects whose release was added
    before it, and every future-release resolution it fulfils; returns how many were settled."""
    settled = 0
    below = release.date_added.isoformat()
    for project_id in project_ids:
        keys = list(index_keys(INDEX, "gsi2pk", pending_index_pk(project_id), "gsi2sk", below))
        if semver_key(release.version) is not None:
            keys += list(index_keys(INDEX, "gsi2pk", future_index_pk(project_id), "gsi2sk", "~"))
        for resolution in batch_get(GroupResolution, keys, consistent_read=True):
            if _settled_by(resolution, release):
                settled += _settle(resolution, release)
    return settled


def fulfils_future_version(version: str, future_version: str) -> bool:
    """Whether release ``version`` is the promised future release or a later one of its package."""
    mine, theirs = semver_key(version), semver_key(future_version)
    same_package = version.rpartition("@")[0] == future_version.rpartition("@")[0]
    return same_package and mine is not None and theirs is not None and not mine < theirs


def _settled_by(resolution: GroupResolution, release: Release) -> bool:
    if resolution.status != GroupResolutionStatus.PENDING or resolution.gsi2pk is None:
        return False
    if resolution.type == GroupResolutionType.IN_FUTURE_RELEASE:
        return fulfils_future_version(release.version, resolution.release_version)
    return resolution.type in PENDING_TYPES and resolution.release_version != release.version


def _resolving_activity(resolution: GroupResolution) -> Activity | None:
    """The newest SET_RESOLVED_IN_RELEASE activity of the group for the pending release."""
    rows = Activity.query(resolution.pk, Activity.sk.startswith("ACTIVITY#"), scan_index_forward=False)
    ident = str(resolution.release_id) if resolution.release_id is not None else None
    for row in rows:
        if row.type == ActivityType.SET_RESOLVED_IN_RELEASE and row.ident == ident:
            return row
    return None


def _settle(resolution: GroupResolution, release: Release) -> int:
    activity = _resolving_activity(resolution)
    try:
        with transaction() as write:
            write.update(
                resolution,
                actions=[
                    GroupResolution.type.set(int(GroupResolutionType.IN_RELEASE)),
                    GroupResolution.status.set(int(GroupResolutionStatus.RESOLVED)),
                    GroupResolution.release_version.set(release.version),
                    GroupResolution.release_id.set(release.id),
                    GroupResolution.gsi2pk.remove(),
                    GroupResolution.gsi2sk.remove(),
                ],
                condition=(GroupResolution.status == int(GroupResolutionStatus.PENDING))
                & (GroupResolution.release_version == resolution.release_version),
            )
            if activity is not None:
                write.update(activity, actions=[Activity.data.set({"version": release.version})])
    except TransactWriteError as error:
        if any(cancelled_by_condition(error)):
            return 0  # resolved otherwise, reopened or settled by another release meanwhile
        raise
    return 1
