"""Regression: a resolved group gets a new event (Sentry's ``_handle_regression``).

The group comes back as UNRESOLVED/REGRESSED, with Activity SET_REGRESSION, GroupHistory REGRESSED
and inbox reason REGRESSION, unless its resolution covers the event's release (Sentry's
``GroupResolution.has_resolution``): an event without a release, or from a release not newer than
the one it was resolved in, is an old build still running and changes nothing.

Releases are ordered as the project orders them (``shared.releases.ordering``: semantic versions
when the project follows semver, else date added). A date-ordered release the releases table does
not know is newer than every known one: Sentry creates the release row when such an event arrives,
which makes it the newest."""

from __future__ import annotations

from datetime import datetime

from shared.issues.enums import (
    GroupResolutionType,
)
from shared.issues.events.transitions import Transition, apply_transition
from shared.issues.status.pending_resolutions import fulfils_future_version
from shared.issues.status.transitions import REGRESSED
from shared.releases.ordering import follows_semver, is_newer, semver_key
from shared.storage.issues import Group, GroupResolution


def resolution_covers(
    resolution: GroupResolution | None, group: Group, release_version: str | None, semver_order: bool
) -> bool:
    """Sentry's ``has_resolution``: whether an event of ``release_version`` is explained by the
    resolution, so no regression."""
    if resolution is None:
        return False
    if not release_version:
        return True  # from "no release" to "some release": the event must be from an older build
    resolved_in = resolution.release_version
    if resolution.type == GroupResolutionType.IN_FUTURE_RELEASE:
        # not released yet: only a build older than the promised version is explained by it
        return not fulfils_future_version(release_version, resolved_in) and _is_older(
            release_version, resolved_in
        )
    if release_version == resolved_in:
        # resolved *in* this release yet seen in it: the fix did not hold; *next* release: old build
        return resolution.type != GroupResolutionType.IN_RELEASE
    newer = is_newer(group.org_id, release_version, resolved_in, semver_order)
    # Unknown order (a release not stored): Sentry would have just created it, making it the newest.
    return newer is False


def _is_older(version: str, than: str) -> bool:
    mine, theirs = semver_key(version), semver_key(than)
    return mine is not None and theirs is not None and mine < theirs


def regress_group(group: Group, event_id: str, release_version: str | None, when: datetime) -> bool:
    """Reopen the resolved ``group`` for this event unless its resolution covers the event's release;
    returns whether it regressed. Reads the resolution (one GetItem; when both it and the event have
    a release, one Query for the project's versioning scheme and, date-ordered, one BatchGetItem of
    the two releases), then one transition."""
    try:
        resolution = GroupResolution.get(*GroupResolution.key(group.id), consistent_read=True)
    except GroupResolution.DoesNotExist:
        resolution = None
    semver_order = bool(resolution and release_version) and follows_semver(group.project_id)
    if resolution_covers(resolution, group, release_version, semver_order):
        return False
    data: dict[str, object] = {"event_id": event_id, "version": release_version or ""}
    ends = ()
    if resolution is not None and release_version:
        # A resolution is valid for one release only: the regression ends it (Sentry deletes it too).
        data.update({"follows_semver": semver_order, "resolved_in_version": resolution.release_version})
        ends = (resolution,)
    transition = Transition(
        REGRESSED,
        activity_data=data,
        release_version=release_version,
        ends=ends,
        caused_by=event_id,
    )
    return apply_transition(group, transition, when)
