"""Regression: a resolved group gets a new event (Sentry's ``_handle_regression``).

The group comes back as UNRESOLVED/REGRESSED, with Activity SET_REGRESSION, GroupHistory REGRESSED
and inbox reason REGRESSION, unless its resolution covers the event's release (Sentry's
``GroupResolution.has_resolution``): an event without a release, or from a release not newer than
the one it was resolved in, is an old build still running and changes nothing.

Releases are ordered by ``date_added`` (then id), as Sentry orders projects that do not follow
semver. A release the releases table does not know is newer than every known one: Sentry creates
the release row when such an event arrives, which makes it the newest."""

from __future__ import annotations

from datetime import datetime

from shared.issues.enums import (
    ActivityType,
    GroupHistoryStatus,
    GroupInboxReason,
    GroupResolutionType,
    GroupStatus,
    GroupSubStatus,
)
from shared.issues.event_transitions import Transition, apply_transition
from shared.storage.base import batch_get
from shared.storage.issues import Group, GroupResolution
from shared.storage.releases import Release


def _release_order(org_id: int, versions: list[str]) -> dict[str, tuple[datetime, int]]:
    """``date_added`` and id of the known releases among ``versions`` (one BatchGetItem)."""
    keys = sorted({Release.key(org_id, v) for v in versions})
    return {r.version: (r.date_added, int(r.id)) for r in batch_get(Release, keys)}


def resolution_covers(resolution: GroupResolution | None, org_id: int, release_version: str | None) -> bool:
    """Sentry's ``has_resolution``: whether an event of ``release_version`` is explained by the
    resolution, so no regression."""
    if resolution is None:
        return False
    if not release_version:
        return True  # from "no release" to "some release": the event must be from an older build
    resolved_in = resolution.release_version
    order = _release_order(org_id, [resolved_in, release_version])
    if release_version not in order:
        return False  # unknown release: newest of all
    event_order = order[release_version]
    resolved_order = order.get(resolved_in)
    if int(resolution.type) == GroupResolutionType.IN_RELEASE:
        if release_version == resolved_in:
            return False
        return not (resolved_order is None or resolved_order < event_order)
    # in the next (or an upcoming) release: that release and everything before it are covered
    return release_version == resolved_in or (resolved_order is not None and resolved_order > event_order)


def regress_group(group: Group, event_id: str, release_version: str | None, when: datetime) -> bool:
    """Reopen the resolved ``group`` for this event unless its resolution covers the event's release;
    returns whether it regressed. Reads the resolution (one GetItem, plus one BatchGetItem of the
    two releases when both have one), then one transition."""
    try:
        resolution = GroupResolution.get(*GroupResolution.key(int(group.id)), consistent_read=True)
    except GroupResolution.DoesNotExist:
        resolution = None
    if resolution_covers(resolution, int(group.org_id), release_version):
        return False
    data: dict[str, object] = {"event_id": event_id, "version": release_version or ""}
    ends = ()
    if resolution is not None and release_version:
        # A resolution is valid for one release only: the regression ends it (Sentry deletes it too).
        data.update({"follows_semver": False, "resolved_in_version": resolution.release_version})
        ends = (resolution,)
    transition = Transition(
        from_status=GroupStatus.RESOLVED,
        to_substatus=GroupSubStatus.REGRESSED,
        activity=ActivityType.SET_REGRESSION,
        history=GroupHistoryStatus.REGRESSED,
        inbox_reason=GroupInboxReason.REGRESSION,
        activity_data=data,
        release_version=release_version,
        ends=ends,
    )
    return apply_transition(group, transition, when)
