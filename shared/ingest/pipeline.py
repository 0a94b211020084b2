"""From an event to its issue: hash → GroupHash → group (existing or new), then the group's counts
and the transitions an event can cause (regression, snooze expiry, escalation).

Every write is a single conditional request or transaction; nothing reads a counter to write it
back. An existing group is counted by one UpdateItem (``times_seen`` ADD 1, ``last_seen`` and its
index key SET, conditional on the group being live and the event being its newest) that returns the
updated group, so the transition checks need no extra read of the group.

Hash states (decision 16 and the deletion pipeline):
- tombstoned: the event is dropped and counted on the tombstone (``times_discarded`` ADD 1);
- linked to a live group: the event is counted there;
- linked to a group being merged: followed to the merge parent (``merged_into``);
- unlinked, or linked to a group that is gone or being deleted: the event starts a new group,
  which claims the hash on condition that nobody else claimed it meanwhile (else: start over)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import UpdateError

from shared.errors import Conflict
from shared.ingest.event import Event
from shared.ingest.grouping import event_hash
from shared.issues.enums import GroupStatus, GroupSubStatus
from shared.issues.events.counts import record_event
from shared.issues.events.escalation import escalate_if_needed
from shared.issues.events.latest import record_latest_event
from shared.issues.events.regression import regress_group
from shared.issues.events.unsnooze import unsnooze_if_over
from shared.issues.groups import HashTaken, create_group
from shared.releases.release_events import record_release_event
from shared.storage.accounts import ProjectKey
from shared.storage.base import condition_failed
from shared.storage.group_state import GroupHash, GroupTombstone
from shared.storage.issues import Group, status_index_sk

# Statuses an event is counted on; the others are on their way out (deletion, merge).
LIVE_STATUSES = (GroupStatus.UNRESOLVED, GroupStatus.RESOLVED, GroupStatus.IGNORED, GroupStatus.REPROCESSING)
# Each attempt loses a race to a concurrent writer; more than a few in a row means something is wrong.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Outcome:
    """What became of one event: its group (None when dropped), whether the group is new, and the
    transition it caused, if any (``regressed``, ``unignored``, ``escalated``)."""

    event_id: str
    hash: str
    group_id: int | None
    is_new: bool = False
    discarded: bool = False
    transition: str | None = None


@dataclass(frozen=True)
class _Project:
    """The project as its DSN key knows it: enough to create a group without reading the project."""

    id: int
    org_id: int


def process_event(key: ProjectKey, event: Event) -> Outcome:
    """Store ``event`` of the key's project as an occurrence of its issue."""
    hash_value = event_hash(event)
    project = _Project(int(key.project_id), int(key.org_id))
    for _ in range(MAX_ATTEMPTS):
        hash_row = _get_hash(project.id, hash_value)
        if hash_row is not None and hash_row.tombstone_id is not None:
            _count_discarded(int(hash_row.tombstone_id))
            return Outcome(event.event_id, hash_value, None, discarded=True)
        stale_group_id = None
        if hash_row is not None and hash_row.group_id is not None:
            group = _count_on_group(int(hash_row.group_id), event)
            if group is not None:
                record_event(int(group.id), event.timestamp, event.user_hash)
                record_latest_event(int(group.id), event)
                _known_release(project.org_id, event.release, event.timestamp)
                return Outcome(
                    event.event_id, hash_value, int(group.id), transition=_transition(group, event)
                )
            stale_group_id = int(hash_row.group_id)
        try:
            group = create_group(
                project,
                event.title,
                culprit=event.culprit,
                level=event.level,
                first_release_version=_known_release(project.org_id, event.release, event.timestamp),
                first_seen=event.timestamp,
                data={"type": event.type, "metadata": event.metadata},
                hash_value=hash_value,
                stale_group_id=stale_group_id,
            )
        except HashTaken:
            continue  # a concurrent event created the group (or a discard tombstoned the hash): re-read
        record_event(int(group.id), event.timestamp, event.user_hash)
        record_latest_event(int(group.id), event)
        return Outcome(event.event_id, hash_value, int(group.id), is_new=True)
    raise Conflict("The event's issue is changing too fast; retry the event")


def _get_hash(project_id: int, hash_value: str) -> GroupHash | None:
    try:
        return GroupHash.get(*GroupHash.key(project_id, hash_value), consistent_read=True)
    except GroupHash.DoesNotExist:
        return None


def _count_discarded(tombstone_id: int) -> None:
    """``times_discarded`` ADD 1 on the tombstone; conditional on it existing, so a tombstone
    deleted meanwhile is not recreated as a bare counter."""
    tombstone = GroupTombstone(*GroupTombstone.key(tombstone_id))
    try:
        tombstone.update(
            actions=[GroupTombstone.times_discarded.add(1)], condition=GroupTombstone.pk.exists()
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _count_on_group(group_id: int, event: Event) -> Group | None:
    """Count the event on the group (following merges); the updated group, or None when the group
    is gone or being deleted and the event needs a new group."""
    live = Group.pk.exists() & Group.status.is_in(*map(int, LIVE_STATUSES))
    for _ in range(MAX_ATTEMPTS):
        group = Group(*Group.key(group_id))
        newest = [
            Group.times_seen.add(1),
            Group.last_seen.set(event.timestamp),
            Group.gsi1sk.set(status_index_sk(event.timestamp, group_id)),
            # Like Sentry, the newest event names the issue.
            Group.title.set(event.title),
            Group.culprit.set(event.culprit) if event.culprit else Group.culprit.remove(),
            Group.level.set(event.level),
        ]
        try:
            group.update(actions=newest, condition=live & (Group.last_seen < event.timestamp))
            return group
        except UpdateError as error:
            if not condition_failed(error):
                raise
        # Rare paths: the event is older than the group's last one, or the group is not live.
        try:
            group.update(actions=[Group.times_seen.add(1)], condition=live)
            return group
        except UpdateError as error:
            if not condition_failed(error):
                raise
        try:
            current = Group.get(*Group.key(group_id), consistent_read=True)
        except Group.DoesNotExist:
            return None
        if int(current.status) == GroupStatus.PENDING_MERGE and current.merged_into is not None:
            group_id = int(current.merged_into)
            continue
        if int(current.status) in LIVE_STATUSES:
            continue  # it came back meanwhile: count it there
        return None
    raise Conflict("The event's issue is changing too fast; retry the event")


def _transition(group: Group, event: Event) -> str | None:
    """The transition the event causes on its (just counted) group, performed; None when none."""
    status = int(group.status)
    if status == GroupStatus.RESOLVED:
        return "regressed" if regress_group(group, event.event_id, event.release, event.timestamp) else None
    if status == GroupStatus.IGNORED:
        if group.substatus is not None and int(group.substatus) == GroupSubStatus.UNTIL_ESCALATING:
            return "escalated" if escalate_if_needed(group, event.event_id, event.timestamp) else None
        return "unignored" if unsnooze_if_over(group, event.timestamp) else None
    return None


def _known_release(org_id: int, version: str | None, timestamp: datetime) -> str | None:
    """The event's release if the releases table has it, with the event counted on it (its first
    and last event): a group's first release must be a real release (it counts in the release's
    ``new_groups``); ingestion does not create releases."""
    if not version:
        return None
    return version if record_release_event(org_id, version, timestamp) else None
