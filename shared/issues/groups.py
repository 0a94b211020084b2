"""Groups (Sentry issues): creation with a per-project short id, and lookups by id or short id.

A group, the pointer that makes its short id resolvable and its NEW inbox row are written in one
conditional transaction, so no reader ever sees a group without its short id or inbox entry."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from shared.issues.enums import GONE_STATUSES, GroupInboxReason, GroupStatus, GroupSubStatus, PriorityLevel
from shared.issues.short_ids import parse_short_id
from shared.issues.transaction import transaction
from shared.sequences import allocate
from shared.storage.accounts import Project
from shared.storage.base import batch_get, utcnow
from shared.storage.issues import (
    Group,
    GroupInbox,
    IssueItem,
    ShortIdPointer,
    status_index_pk,
    status_index_sk,
)
from shared.storage.releases import ReleaseProject

# Sentry's initial priority by level when no severity score is available.
_PRIORITY_BY_LEVEL = {
    "debug": PriorityLevel.LOW,
    "info": PriorityLevel.LOW,
    "warning": PriorityLevel.MEDIUM,
    "error": PriorityLevel.HIGH,
    "fatal": PriorityLevel.HIGH,
}


def create_group(
    project: Project,
    title: str,
    culprit: str | None = None,
    level: str = "error",
    first_release_version: str | None = None,
) -> Group:
    """Create an UNRESOLVED/NEW group in ``project`` with the project's next short id.

    With ``first_release_version``, the release's ``new_groups`` for this project goes up by one,
    which is what keeps that release from being deleted (decision 7)."""
    group_id = allocate("group")[0]
    short_id = allocate(f"shortid:{project.id}")[0]
    now = utcnow()
    pk, sk = Group.key(group_id)
    group = Group(
        pk=pk,
        sk=sk,
        id=group_id,
        project_id=int(project.id),
        org_id=int(project.org_id),
        short_id=short_id,
        status=int(GroupStatus.UNRESOLVED),
        substatus=int(GroupSubStatus.NEW),
        level=level,
        title=title,
        culprit=culprit,
        first_seen=now,
        last_seen=now,
        times_seen=1,
        priority=int(_PRIORITY_BY_LEVEL.get(level, PriorityLevel.MEDIUM)),
        first_release_version=first_release_version,
        gsi1pk=status_index_pk(int(project.id), GroupStatus.UNRESOLVED),
        gsi1sk=status_index_sk(now, group_id),
    )
    pointer_pk, pointer_sk = ShortIdPointer.key(int(project.id), short_id)
    pointer = ShortIdPointer(pk=pointer_pk, sk=pointer_sk, group_id=group_id)
    inbox_pk, inbox_sk = GroupInbox.key(group_id)
    inbox = GroupInbox(pk=inbox_pk, sk=inbox_sk, reason=int(GroupInboxReason.NEW), date_added=now)
    with transaction() as write:
        for item in (group, pointer, inbox):
            write.save(item, condition=IssueItem.pk.does_not_exist())
    if first_release_version is not None:
        _count_new_group(project, first_release_version)
    return group


def _count_new_group(project: Project, version: str) -> None:
    """ADD 1 to the release-project link's ``new_groups``. Outside the group's transaction on
    purpose: a burst of new groups in one release would otherwise conflict on this one item.

    The update creates the link when the project is not linked yet; it then also sets ``kind`` and
    ``project_id``, so release reads see a proper ReleaseProject and serialize its count."""
    link = ReleaseProject(*ReleaseProject.key(int(project.org_id), version, int(project.id)))
    link.update(
        actions=[
            ReleaseProject.new_groups.add(1),
            ReleaseProject.kind.set(ReleaseProject),
            ReleaseProject.project_id.set(int(project.id)),
        ]
    )


def get_group(group_id: int) -> Group | None:
    try:
        return Group.get(*Group.key(group_id))
    except DoesNotExist:
        return None


def find_groups_by_short_ids(org_id: int, short_ids: list[str]) -> dict[str, Group]:
    """The organization's groups named by qualified short ids as typed ("web-12", "WEB-12").

    The result is keyed by the id upper-cased as given; unknown projects or numbers, and groups on
    their way out (pending deletion or merge, as Sentry excludes them), are left out. Costs one
    BatchGetItem each for projects, short id pointers and groups (per 100 keys)."""
    parsed = {text.strip().upper(): found for text in short_ids if (found := parse_short_id(text))}
    if not parsed:
        return {}
    slugs = sorted({slug for slug, _ in parsed.values()})
    project_ids = {p.slug: int(p.id) for p in batch_get(Project, [Project.key(org_id, s) for s in slugs])}
    pointer_keys = {
        text: ShortIdPointer.key(project_ids[slug], number)
        for text, (slug, number) in parsed.items()
        if slug in project_ids
    }
    pointers = batch_get(ShortIdPointer, sorted(set(pointer_keys.values())))
    group_ids = {(p.pk, p.sk): int(p.group_id) for p in pointers}
    groups = {
        int(g.id): g
        for g in batch_get(Group, [Group.key(i) for i in sorted(set(group_ids.values()))])
        if int(g.status) not in GONE_STATUSES
    }
    found: dict[str, Group] = {}
    for text, key in pointer_keys.items():
        group_id = group_ids.get(key)
        if group_id in groups:
            found[text] = groups[group_id]
    return found
