"""The hashes of one ledger shard linked to live groups, counted together: a few groups per
transaction with one ledger entry per second for all of them, so a storm over many issues pays one
entry, not one per issue, in each batch."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from shared.errors import Conflict
from shared.ingest import ledger
from shared.ingest.counting.aftermath import after_counting
from shared.ingest.counting.on_group import count_on_group
from shared.ingest.counting.outcome import (
    LIVE_STATUSES,
    MAX_ATTEMPTS,
    Outcome,
    ProjectRef,
    read_group,
)
from shared.ingest.counting.writes import Counting, NotCounted, chunks, group_write, write_counted
from shared.ingest.event import Event
from shared.ingest.ledger import Target, second_of
from shared.issues.events.counts import CurrentHour
from shared.storage.dynamodb import max_transaction_items
from shared.storage.group_state import hour_bucket
from shared.storage.issues import Group


@dataclass(frozen=True)
class Share:
    """The uncounted events of one hash linked to a group, to be counted with other hashes' of
    its ledger shard."""

    hash: str
    group_id: int
    events: list[Event]


def units(shares: list[Share]) -> list[list[Share]]:
    """Shares per transaction: each group's update, its hours' rows (and the row its count may
    move to), and one ledger entry per second (per ``IDS_PER_ENTRY`` ids) for all of them, within
    the engine's item limit. A share too large for a transaction of its own is a unit alone
    (counted in several transactions by ``count_on_group``)."""
    limit = max_transaction_items()
    units: list[list[Share]] = []
    current: list[Share] = []
    rows = 0
    per_second: Counter[datetime] = Counter()
    for share in shares:
        seconds = Counter(second_of(event) for event in share.events)
        share_rows = 2 + len({hour_bucket(event.timestamp) for event in share.events})
        merged = per_second + seconds
        entries = sum(ledger.entries_in(n) for n in merged.values())
        if current and rows + share_rows + entries > limit:
            units.append(current)
            current, rows, per_second = [], 0, Counter()
            merged = seconds
        current.append(share)
        rows += share_rows
        per_second = merged
    if current:
        units.append(current)
    return units


def count_shared(
    project: ProjectRef,
    shard: int,
    unit: list[Share],
    check: ledger.PreCheck,
    outcomes: dict[str, Outcome],
) -> list[Share]:
    """Count the shares of ``unit`` in one transaction (each group renamed by its newest event
    unless it has seen a newer one), then each group's users, latest event, index and
    transitions. A refused group is read: counted again with what it holds, or, gone or being
    merged, returned to be counted on its own (nothing of it was counted)."""
    if len(unit) == 1 and len(chunks(unit[0].events)) > 1:
        share = unit[0]
        found = count_on_group(project, share.group_id, share.events, share.hash, outcomes, check)
        return [] if found else [share]
    renaming = {share.hash: True for share in unit}
    known: dict[str, CurrentHour | None] = {share.hash: None for share in unit}
    elsewhere: list[Share] = []
    for _ in range(MAX_ATTEMPTS):
        if not unit:
            return elsewhere
        countings = [
            Counting(
                Group(*Group.key(share.group_id)),
                Target(group_id=share.group_id),
                share.events,
                group_write(share.group_id, renaming[share.hash], known[share.hash]),
            )
            for share in unit
        ]
        try:
            written = write_counted(project, shard, countings)
        except NotCounted as refused:
            to_read = [unit[i] for i in refused.indexes]
            while to_read:
                share = to_read.pop()
                current = read_group(share.group_id)
                if current is None or int(current.status) not in LIVE_STATUSES:
                    unit.remove(share)
                    elsewhere.append(share)
                    continue
                known[share.hash] = CurrentHour.of(current)
                renaming[share.hash] &= current.last_seen <= share.events[-1].timestamp
                if current.current_hour != hour_bucket(share.events[-1].timestamp):
                    # a new hour: the other groups hold the previous one too (an engine may
                    # report the first refusal only), read them all at once
                    to_read += [s for s in unit if known[s.hash] is None and s not in to_read]
            continue
        for share, (done, _) in zip(unit, written, strict=True):
            ids = {event.event_id for event in done}
            for event in share.events:
                if event.event_id not in ids:
                    outcomes[event.event_id] = Outcome(event.event_id, share.hash, None, duplicate=True)
            fresh = check.fresh_seconds(share.group_id)
            after_counting(project, share.group_id, share.hash, done, outcomes, fresh, None)
        return elsewhere
    raise Conflict("The event's issue is changing too fast; retry the event")
