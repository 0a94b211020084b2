"""Groups (Sentry issues): creation with a per-project short id, and lookups by id or short id.

A group, the pointer that makes its short id resolvable and its NEW inbox row are written in one
conditional transaction, so no reader ever sees a group without its short id or inbox entry. A group
created by an event also claims the event's grouping hash (GroupHash + GroupHashRef) in that same
transaction: two concurrent first events of one hash can never make two groups. New groups are
created a batch at a time (``create_groups``): their short ids take one counter update, and their
rows share transactions, so a burst of new issues is not created one number after another."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from shared.issues.enums import GONE_STATUSES, PriorityLevel
from shared.issues.short_ids import parse_short_id
from shared.issues.status.transitions import CREATED
from shared.issues.transaction import transaction
from shared.sequences import BlockSequence, allocate
from shared.side_by_side import side_by_side_raising
from shared.storage.accounts import Project
from shared.storage.base import batch_get, cancelled_by_condition, utcnow
from shared.storage.dynamodb import max_transaction_items
from shared.storage.group_state import GroupHash, GroupHashRef
from shared.storage.issues import (
    Group,
    GroupInbox,
    IssueItem,
    ShortIdPointer,
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


# Group ids come from a per-process block (docs/decisions.md §issues.3): a batch of new issues costs
# at most one counter request.
_GROUP_IDS = BlockSequence("group", 20)


@dataclass(frozen=True)
class NewGroup:
    """One group to create (``create_groups``): what its first event, or a caller, says of it.

    With ``first_release_version``, the release's ``new_groups`` for this project goes up by one,
    which is what keeps that release from being deleted (docs/decisions.md §releases.7).

    With ``hash_value``, the GroupHash is pointed at the new group (with its GroupHashRef) in the
    same transaction, on condition that the hash is unclaimed: absent, unlinked and not tombstoned,
    or still linked to ``stale_group_id`` (a group on its way out).

    ``created_by(group_id)`` gives the rows of the event that creates the group, written in the same
    transaction (``CreatedBy``)."""

    title: str
    culprit: str | None = None
    level: str = "error"
    first_release_version: str | None = None
    first_seen: datetime | None = None
    data: dict[str, Any] | None = None
    hash_value: str | None = None
    stale_group_id: int | None = None
    created_by: Callable[[int], CreatedBy] | None = None


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
    """Create an UNRESOLVED/NEW group in ``project`` with the project's next short id (a batch of
    one of ``create_groups``, whose ``NewGroup`` the arguments are). ``HashTaken`` when the hash
    was claimed meanwhile, ``ClaimTaken`` when a row of ``created_by`` exists already."""
    new = NewGroup(
        title, culprit, level, first_release_version, first_seen, data, hash_value, stale_group_id, created_by
    )
    [created] = create_groups(project, [new])
    if isinstance(created, Exception):
        raise created
    return created


def create_groups(project: ProjectRef, new: Sequence[NewGroup]) -> list[Group | HashTaken | ClaimTaken]:
    """Create a group of ``project`` for each of ``new``, UNRESOLVED/NEW, in order: the created
    Group, or why it was not (``HashTaken``: the hash was claimed meanwhile, by a concurrent batch's
    group or a tombstone; ``ClaimTaken``: a row of its ``created_by`` exists already).

    The short ids of all of them are reserved with one counter update (ADD n); a group not created
    leaves its number unused (a gap, as Sentry's counter has). Their rows go in as few transactions
    as the engine's item limit allows, written side by side; a group refused by its own conditions
    is taken out and the others are written again. Then each release's ``new_groups`` goes up by
    its created groups."""
    if not new:
        return []
    group_ids = _GROUP_IDS.take(len(new))
    short_ids = allocate(f"shortid:{project.id}", len(new))
    results: list[Group | HashTaken | ClaimTaken] = []
    pending = [
        _rows(project, group_id, short_id, spec)
        for group_id, short_id, spec in zip(group_ids, short_ids, new, strict=True)
    ]
    units = dict(enumerate(_units(pending)))
    # independent transactions (no row in common), a few at once: their round trips need not add up
    side_by_side_raising(lambda i: _write_unit(units[i]), units)
    for rows in pending:
        results.append(rows.refused or rows.group)
    added = Counter(
        spec.first_release_version
        for spec, rows in zip(new, pending, strict=True)
        if spec.first_release_version is not None and rows.refused is None
    )
    for version, count in sorted(added.items()):
        _count_new_groups(project, version, count)
    return results


@dataclass
class _Rows:
    """A new group's rows, each put on condition that it is new (the hash: that it is unclaimed),
    and, once written or refused, why it was refused."""

    group: Group
    puts: list[tuple[IssueItem, Any]]
    hash_at: int | None
    claims_at: range
    refused: HashTaken | ClaimTaken | None = None


def _rows(project: ProjectRef, group_id: int, short_id: int, spec: NewGroup) -> _Rows:
    now = spec.first_seen or utcnow()
    created_by = spec.created_by(group_id) if spec.created_by is not None else CreatedBy()
    pk, sk = Group.key(group_id)
    group = Group(
        pk=pk,
        sk=sk,
        id=group_id,
        project_id=project.id,
        org_id=project.org_id,
        short_id=short_id,
        level=spec.level,
        title=spec.title,
        culprit=spec.culprit,
        first_seen=now,
        last_seen=now,
        times_seen=1,
        priority=int(_PRIORITY_BY_LEVEL.get(spec.level, PriorityLevel.MEDIUM)),
        first_release_version=spec.first_release_version,
        gsi1sk=status_index_sk(now, group_id),
        data=spec.data,
        **Group.status_values(project.id, CREATED.to_status, CREATED.to_substatus),
        **created_by.group_attributes,
    )
    pointer = ShortIdPointer(*ShortIdPointer.key(project.id, short_id), group_id=group_id)
    inbox = GroupInbox(*GroupInbox.key(group_id), reason=int(CREATED.inbox_reason), date_added=now)
    new_row = IssueItem.pk.does_not_exist()
    puts: list[tuple[IssueItem, Any]] = [(group, new_row), (pointer, new_row), (inbox, new_row)]
    hash_at = None
    if spec.hash_value is not None:
        hash_at = len(puts)
        puts.extend(_hash_claim(group, spec.hash_value, spec.stale_group_id))
    first_claim = len(puts)
    puts.extend((row, new_row) for row in created_by.claims)
    return _Rows(group, puts, hash_at, range(first_claim, len(puts)))


def _units(pending: list[_Rows]) -> list[list[_Rows]]:
    """The groups in transactions of at most the engine's item limit (a group's rows stay together)."""
    limit = max_transaction_items()
    units: list[list[_Rows]] = []
    size = 0
    for rows in pending:
        if units and size + len(rows.puts) <= limit:
            units[-1].append(rows)
            size += len(rows.puts)
        else:
            units.append([rows])
            size = len(rows.puts)
    return units


def _write_unit(unit: list[_Rows]) -> None:
    """Write the groups of ``unit`` in one transaction; a group whose own condition cancels it is
    marked refused and the others are written again (an engine may report only one refusal)."""
    waiting = list(unit)
    while waiting:
        try:
            with transaction() as write:
                for rows in waiting:
                    for row, condition in rows.puts:
                        write.save(row, condition=condition)
            return
        except TransactWriteError as error:
            cancelled = cancelled_by_condition(error)
            refused = False
            offset = 0
            for rows in waiting:
                own = cancelled[offset : offset + len(rows.puts)]
                offset += len(rows.puts)
                if rows.hash_at is not None and any(own[rows.hash_at : rows.hash_at + 1]):
                    rows.refused = HashTaken(rows.puts[rows.hash_at][0].hash)
                elif any(own[rows.claims_at.start : rows.claims_at.stop]):
                    rows.refused = ClaimTaken()
                refused = refused or rows.refused is not None
            if not refused:
                raise
            waiting = [rows for rows in waiting if rows.refused is None]


def _hash_claim(group: Group, hash_value: str, stale_group_id: int | None) -> list[tuple[IssueItem, Any]]:
    """The GroupHash pointed at ``group`` on condition that it is unclaimed, and its GroupHashRef."""
    project_id = group.project_id
    hash_row = GroupHash(
        *GroupHash.key(project_id, hash_value), project_id=project_id, hash=hash_value, group_id=group.id
    )
    unclaimed = GroupHash.group_id.does_not_exist()
    if stale_group_id is not None:
        unclaimed = unclaimed | (GroupHash.group_id == stale_group_id)
    condition = GroupHash.pk.does_not_exist() | (GroupHash.tombstone_id.does_not_exist() & unclaimed)
    ref = GroupHashRef(*GroupHashRef.key(group.id, hash_value), project_id=project_id, hash=hash_value)
    return [(hash_row, condition), (ref, None)]


def _count_new_groups(project: ProjectRef, version: str, count: int) -> None:
    """ADD ``count`` to the release-project link's ``new_groups``. Outside the groups' transactions
    on purpose: a burst of new groups in one release would otherwise conflict on this one item.

    The update creates the link when the project is not linked yet; it then also sets ``kind`` and
    ``project_id``, so release reads see a proper ReleaseProject and serialize its count."""
    link = ReleaseProject(*ReleaseProject.key(project.org_id, version, project.id))
    link.update(
        actions=[
            ReleaseProject.new_groups.add(count),
            ReleaseProject.kind.set(ReleaseProject),
            ReleaseProject.project_id.set(project.id),
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
    project_ids = {p.slug: p.id for p in batch_get(Project, [Project.key(org_id, s) for s in slugs])}
    pointer_keys = {
        text: ShortIdPointer.key(project_ids[slug], number)
        for text, (slug, number) in parsed.items()
        if slug in project_ids
    }
    pointers = batch_get(ShortIdPointer, sorted(set(pointer_keys.values())))
    group_ids = {(p.pk, p.sk): p.group_id for p in pointers}
    groups = {
        g.id: g
        for g in batch_get(Group, [Group.key(i) for i in sorted(set(group_ids.values()))])
        if g.status not in GONE_STATUSES
    }
    found: dict[str, Group] = {}
    for text, key in pointer_keys.items():
        group_id = group_ids.get(key)
        if group_id in groups:
            found[text] = groups[group_id]
    return found
