"""Resolving groups in a release: what set_commits does for every group linked to one of the
release's commits (docs/decisions.md §status.1 and §status.14, Sentry's
update_group_resolutions)."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from shared.issues.enums import (
    GroupResolutionStatus,
    GroupResolutionType,
    GroupStatus,
)
from shared.issues.history import new_group_history
from shared.issues.status.transitions import RESOLVED_BY_RELEASE
from shared.issues.transaction import transaction
from shared.storage.base import cancelled_by_condition, utcnow
from shared.storage.issues import Group, GroupInbox, GroupResolution

# Only live groups get resolved (``RESOLVED_BY_RELEASE``): resolving one that is pending deletion or
# merge would pull it back into the issue lists. Anything already resolved is skipped, as the newest
# Sentry does.
# Operation order in the transaction: deletes, then puts, then the update (see transaction()).
_GROUP_UPDATE = 3


def resolve_groups_in_release(
    groups: list[Group],
    release_version: str,
    release_id: int | None,
    actor_id: int | None = None,
    actors: dict[int, int | None] | None = None,
) -> list[Group]:
    """Resolve each resolvable group in the release; returns those resolved (updated in place).
    ``actors`` names the actor of each group (by id) where it differs from ``actor_id``.

    One TransactWriteItems per group: the resolution (replacing any earlier one), the status change
    (conditional on the group still being resolvable, so a concurrent resolver wins cleanly), the
    inbox removal (action RESOLVED writes nothing else) and the RESOLVED history row. A group is
    never half-resolved. A group already resolved gets the in-release resolution row alone (one
    PutItem), as Sentry applies it to every linked group: regressions then judge by this release."""
    actors = actors or {}
    resolved = []
    for group in groups:
        actor = actors.get(group.id, actor_id)
        resolution = _in_release(group, release_version, release_id, actor)
        if RESOLVED_BY_RELEASE.starts_from(group.status, None):
            if _resolve(group, resolution, actor):
                resolved.append(group)
        elif group.status == GroupStatus.RESOLVED:
            resolution.save()
    return resolved


def _in_release(
    group: Group, release_version: str, release_id: int | None, actor_id: int | None
) -> GroupResolution:
    pk, sk = GroupResolution.key(group.id)
    return GroupResolution(
        pk=pk,
        sk=sk,
        type=int(GroupResolutionType.IN_RELEASE),
        status=int(GroupResolutionStatus.RESOLVED),
        release_version=release_version,
        release_id=release_id,
        actor_id=actor_id,
        datetime=utcnow(),
    )


def _resolve(group: Group, resolution: GroupResolution, actor_id: int | None) -> bool:
    now = resolution.datetime
    rule = RESOLVED_BY_RELEASE
    actions = [*rule.actions(group), Group.resolved_at.set(now)]
    try:
        with transaction() as write:
            write.delete(GroupInbox(*GroupInbox.key(group.id)))  # rule.inbox: REMOVE
            write.save(resolution)
            write.save(new_group_history(group, rule.history, user_id=actor_id, when=now))
            write.update(group, actions, condition=rule.from_condition())
    except TransactWriteError as error:
        cancelled = cancelled_by_condition(error)
        if len(cancelled) > _GROUP_UPDATE and cancelled[_GROUP_UPDATE]:
            return False
        raise
    rule.performed_on(group)
    group.resolved_at = now
    return True
