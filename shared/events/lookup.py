"""Which issue holds an event, for what is reached through an event (its attachments): the event
store's index, and the issue only while it is visible, so deleting or merging an issue hides what
hangs off its events at once."""

from __future__ import annotations

from collections.abc import Iterator

from shared.auth.access import OrgAccess
from shared.events.index import locate, walk_group
from shared.events.reads import event_id_of
from shared.issues.enums import GONE_STATUSES
from shared.issues.groups import get_group
from shared.storage.accounts import Pointer, Project
from shared.storage.issues import Group


def visible_event_group(org_id: int, project_id: int, event_id: str) -> tuple[str, Group] | None:
    """The event's normalized id and live issue, when the event is the project's (404 for an id
    that is not an event id, as Sentry's routes match nothing else)."""
    event_id = event_id_of(event_id)
    located = locate(org_id, event_id)
    if located is None or located.project_id != project_id:
        return None
    group = get_group(located.group_id)
    if group is None or group.status in GONE_STATUSES or group.project_id != project_id:
        return None
    return event_id, group


def issue_event_ids(group: Group) -> Iterator[str]:
    """The issue's event ids, newest first."""
    return (found.event_id for found in walk_group(group.id))


def visible_project_slug(access: OrgAccess, pointer: Pointer | None) -> str | None:
    """The slug of an event's project when the caller may see the project, from its id pointer
    (whose target key names the slug): nothing more to read for a caller who sees every project,
    the project item (its teams) for one limited to their teams."""
    org_pk, prefix = Project.key(access.organization.id, "")
    if pointer is None or pointer.target_pk != org_pk or not pointer.target_sk.startswith(prefix):
        return None
    slug = pointer.target_sk.removeprefix(prefix)
    if access.has_global_access:
        return slug
    try:
        project = Project.get(pointer.target_pk, pointer.target_sk)
    except Project.DoesNotExist:
        return None
    return slug if access.has_project_access(project) else None
