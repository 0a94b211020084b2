"""Discarding groups (Sentry's handle_discard, docs/decisions.md §deletion.5): a tombstone per group
takes over its hashes, so future events with those fingerprints are dropped, then the groups go
through the deletion pipeline.

Every check runs before the first write, so a refused discard changes nothing. The tombstone is
put only if absent (one per previous group); a group whose tombstone exists but which is still
live (an earlier discard died half-way) is finished rather than skipped, so a retry completes it."""

from __future__ import annotations

from pynamodb.exceptions import PutError

from shared.auth.access import OrgAccess
from shared.errors import BadRequest, NotFound
from shared.issues.categories import require_error_issues
from shared.issues.deletion.queue import delete_group_list, hash_values, unlink_hash
from shared.issues.enums import GONE_STATUSES
from shared.projects.features import DISCARD_GROUPS, has_project_feature
from shared.projects.service import get_project_by_id
from shared.storage.base import condition_failed, utcnow
from shared.storage.group_state import GroupTombstone
from shared.storage.issues import Group, IssueItem


def discard_groups(access: OrgAccess, groups: list[Group], actor_id: int | None) -> None:
    """Tombstone ``groups`` and queue them for deletion; the caller answers 204 (and has checked the
    ``event:admin`` scope, as Sentry's validator does)."""
    distinct = list({g.id: g for g in groups}.values())
    for project_id in sorted({g.project_id for g in distinct}):
        project = get_project_by_id(project_id)
        if project is None or not access.has_project_access(project):
            raise NotFound()
        if not has_project_feature(project, DISCARD_GROUPS):
            raise BadRequest(["You do not have that feature enabled"])
    require_error_issues(distinct, "discarded")
    live = [g for g in distinct if g.status not in GONE_STATUSES]
    if not live:
        return
    for group in live:
        _tombstone(group, actor_id)
        for hash_value in hash_values(group.id):
            unlink_hash(group.project_id, hash_value, group.id, tombstone_id=group.id)
    delete_group_list(live, delete_type="discard")


def _tombstone(group: Group, actor_id: int | None) -> None:
    """Put the group's tombstone (Sentry's TOMBSTONE_FIELDS_FROM_GROUP) unless it exists. Its id is
    the previous group's id: a group has at most one tombstone, and a hash's ``tombstone_id`` then
    names the tombstone's key directly (ingestion counts dropped events on it in one request)."""
    pk, sk = GroupTombstone.key(group.id)
    tombstone = GroupTombstone(
        pk=pk,
        sk=sk,
        id=group.id,
        previous_group_id=group.id,
        project_id=group.project_id,
        level=group.level,
        message=group.title,
        culprit=group.culprit,
        data=group.data,
        actor_id=actor_id,
        date_added=utcnow(),
    )
    try:
        tombstone.save(condition=IssueItem.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
