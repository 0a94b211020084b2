"""Groups (Sentry issues): creation with a per-project short id, and lookups by id or short id.

A group, the pointer that makes its short id resolvable and its NEW inbox row are written in one
conditional transaction, so no reader ever sees a group without its short id or inbox entry. A group
created by an event also claims the event's grouping hash (GroupHash + GroupHashRef) in that same
transaction: two concurrent first events of one hash can never make two groups."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from shared.errors import Conflict
from shared.issues.enums import GONE_STATUSES, GroupInboxReason, GroupStatus, GroupSubStatus, PriorityLevel
from shared.issues.short_ids import parse_short_id
from shared.issues.transaction import transaction
from shared.sequences import BlockSequence, claim_next
from shared.storage.accounts import Project
from shared.storage.base import batch_get, cancelled_by_condition, utcnow
from shared.storage.dynamodb import backoff
from shared.storage.group_state import GroupHash, GroupHashRef
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


class ProjectRef(Protocol):
    """What a group needs of its project: a Project, or the ids a DSN key carries (ingestion)."""

    @property
    def id(self) -> Any: ...

    @property
    def org_id(self) -> Any: ...


class HashTaken(Exception):
    """The grouping hash was claimed (by a concurrent event's group, or a tombstone) meanwhile."""


class ClaimTaken(Exception):
    """A row the creation had to add as new (``CreatedBy.claims``) exists already: nothing was
    written."""


@dataclass(frozen=True)
class CreatedBy:
    """What the event that creates a group writes in the creating transaction: ``claims``, put
    beside the group on condition that they are new (ingestion's ledger entry of the event), and
    ``group_attributes``, set on the group itself (its hour's count)."""

    claims: Sequence[IssueItem] = ()
    group_attributes: Mapping[str, Any] = field(default_factory=dict)


# Position of the GroupHash put in create_group's transaction (puts in the order written).
_HASH_PUT = 3

# Group ids come from a per-process block (decision 19): a burst of new issues costs one counter
# request per 20 groups. Short ids are taken in the group's own transaction: no gaps.
_GROUP_IDS = BlockSequence("group", 20)
# Each attempt loses the project's next short id to a concurrent new group; progress is certain.
_SHORT_ID_ATTEMPTS = 50


def create_group(
    project: ProjectRef,
    title: str,
    culprit: str | None = None,
    level: str = "error",
    first_release_version: str | None = None,
    *,
    first_seen: datetime | None = None,
    data: dict[str, Any] | None = None,
    hash_value: str | None = None,
    stale_group_id: int | None = None,
    created_by: Callable[[int], CreatedBy] | None = None,
) -> Group:
    """Create an UNRESOLVED/NEW group in ``project`` with the project's next short id.

    With ``first_release_version``, the release's ``new_groups`` for this project goes up by one,
    which is what keeps that release from being deleted (decision 7).

    With ``hash_value``, the GroupHash is pointed at the new group (with its GroupHashRef) in the same
    transaction, on condition that the hash is unclaimed: absent, unlinked and not tombstoned, or
    still linked to ``stale_group_id`` (a group on its way out). Otherwise ``HashTaken``.

    ``created_by(group_id)`` gives the rows of the event that creates the group, written in the same
    transaction (``CreatedBy``); ``ClaimTaken`` when one of its claims exists already."""
    group_id = _GROUP_IDS.next()
    for _ in range(_SHORT_ID_ATTEMPTS):
        try:
            group = _write_group(
                project,
                group_id,
                title,
                culprit,
                level,
                first_release_version,
                first_seen,
                data,
                hash_value,
                stale_group_id,
                created_by(group_id) if created_by is not None else CreatedBy(),
            )
            break
        except _ShortIdTaken:
            time.sleep(backoff(1))  # a concurrent group of the project took the number: read again
    else:
        raise Conflict("Too many issues are being created in this project at once; retry")
    if first_release_version is not None:
        _count_new_group(project, first_release_version)
    return group


class _ShortIdTaken(Exception):
    """A concurrent group of the project was given the short id read for this one."""


def _write_group(
    project: ProjectRef,
    group_id: int,
    title: str,
    culprit: str | None,
    level: str,
    first_release_version: str | None,
    first_seen: datetime | None,
    data: dict[str, Any] | None,
    hash_value: str | None,
    stale_group_id: int | None,
    created_by: CreatedBy,
) -> Group:
    """One attempt: the group, its short-id pointer, inbox row, hash claim, the rows of the event
    that creates it and the project's short-id counter, in one transaction."""
    try:
        with transaction() as write:
            short_id = claim_next(write, f"shortid:{project.id}")
            now = first_seen or utcnow()
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
                data=data,
                **created_by.group_attributes,
            )
            pointer_pk, pointer_sk = ShortIdPointer.key(int(project.id), short_id)
            pointer = ShortIdPointer(pk=pointer_pk, sk=pointer_sk, group_id=group_id)
            inbox_pk, inbox_sk = GroupInbox.key(group_id)
            inbox = GroupInbox(pk=inbox_pk, sk=inbox_sk, reason=int(GroupInboxReason.NEW), date_added=now)
            for item in (group, pointer, inbox):
                write.save(item, condition=IssueItem.pk.does_not_exist())
            if hash_value is not None:
                _claim_hash(write, group, hash_value, stale_group_id)
            for row in created_by.claims:
                write.save(row, condition=IssueItem.pk.does_not_exist())
    except TransactWriteError as error:
        cancelled = cancelled_by_condition(error)
        if hash_value is not None and len(cancelled) > _HASH_PUT and cancelled[_HASH_PUT]:
            raise HashTaken(hash_value) from error
        first_claim = _HASH_PUT + (2 if hash_value is not None else 0)
        puts = first_claim + len(created_by.claims)
        if any(cancelled[first_claim:puts]):
            raise ClaimTaken() from error
        if len(cancelled) > puts and cancelled[puts]:  # the counter: the first update, after the puts
            raise _ShortIdTaken() from error
        raise
    return group


def _claim_hash(write: Any, group: Group, hash_value: str, stale_group_id: int | None) -> None:
    project_id = int(group.project_id)
    hash_row = GroupHash(
        *GroupHash.key(project_id, hash_value), project_id=project_id, hash=hash_value, group_id=int(group.id)
    )
    unclaimed = GroupHash.group_id.does_not_exist()
    if stale_group_id is not None:
        unclaimed = unclaimed | (GroupHash.group_id == stale_group_id)
    write.save(
        hash_row,
        condition=GroupHash.pk.does_not_exist() | (GroupHash.tombstone_id.does_not_exist() & unclaimed),
    )
    ref = GroupHashRef(*GroupHashRef.key(int(group.id), hash_value), project_id=project_id, hash=hash_value)
    write.save(ref)


def _count_new_group(project: ProjectRef, version: str) -> None:
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
