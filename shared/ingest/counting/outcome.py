"""What became of each event of a batch, and the small rules every counting step shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.ingest.event import Event
from shared.issues.enums import GroupStatus
from shared.storage.issues import Group

# Statuses an event is counted on; the others are on their way out (deletion, merge).
LIVE_STATUSES = (GroupStatus.UNRESOLVED, GroupStatus.RESOLVED, GroupStatus.IGNORED, GroupStatus.REPROCESSING)
# Each attempt loses a race to a concurrent writer; more than a few in a row means something is wrong.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Outcome:
    """What became of one event: its group (None when dropped or already counted), whether the
    group is new, and the transition it caused, if any (``regressed``, ``unignored``,
    ``escalated``). ``duplicate`` events were counted by an earlier delivery, on ``counted_on``
    (None: on a tombstone), which the event store still keeps them under: the delivery that
    counted them may have died before it stored them."""

    event_id: str
    hash: str
    group_id: int | None
    is_new: bool = False
    discarded: bool = False
    transition: str | None = None
    duplicate: bool = False
    counted_on: int | None = None


@dataclass(frozen=True)
class ProjectRef:
    """The project as its DSN key knows it: enough to create a group without reading the project."""

    id: int
    org_id: int


def unique(events: Sequence[Event]) -> list[Event]:
    """Events in time order, each once (an SDK's resend may be in the same batch)."""
    return sorted({event.event_id: event for event in events}.values(), key=lambda e: e.timestamp)


def keep_uncounted(
    events: Sequence[Event],
    uncounted: Sequence[Event],
    hash_value: str,
    outcomes: dict[str, Outcome],
    owners: Mapping[str, int] | None = None,
) -> list[Event]:
    """The ``events`` among ``uncounted``, in their order; each other one is noted in ``outcomes``
    as a duplicate (an earlier delivery counted it, on its group in ``owners`` if any)."""
    left = {event.event_id for event in uncounted}
    for event in events:
        if event.event_id not in left:
            group_id = (owners or {}).get(event.event_id)
            outcomes[event.event_id] = Outcome(
                event.event_id, hash_value, None, duplicate=True, counted_on=group_id
            )
    return [event for event in events if event.event_id in left]


def in_order(events: Sequence[Event], outcomes: dict[str, Outcome]) -> list[Outcome]:
    return [outcomes[event.event_id] for event in events]


def users_of(events: Sequence[Event]) -> list[str]:
    return [event.user_hash for event in events if event.user_hash]


def read_group(group_id: int) -> Group | None:
    try:
        return Group.get(*Group.key(group_id), consistent_read=True)
    except Group.DoesNotExist:
        return None
