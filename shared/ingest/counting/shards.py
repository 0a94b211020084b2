"""The hashes of one ledger shard linked to live groups, counted together: a few groups per
transaction with one ledger entry per second for all of them, so a storm over many issues pays one
entry, not one per issue, in each batch."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from shared.ingest import ledger
from shared.ingest.counting.aftermath import after_counting
from shared.ingest.counting.on_group import count_on_group
from shared.ingest.counting.outcome import Outcome, ProjectRef, keep_uncounted
from shared.ingest.counting.refusal import GroupCounting, count_on_groups
from shared.ingest.counting.writes import chunks
from shared.ingest.event import Event
from shared.ingest.ledger import second_of
from shared.storage.dynamodb import max_transaction_items
from shared.storage.group_state import CountedEvents, hour_bucket


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
    outcomes: dict[str, Outcome],
) -> list[Share]:
    """Count the shares of ``unit`` in one transaction (each group renamed by its newest event
    unless it has seen a newer one), then each group's users, tags, index and
    transitions. A refused group is read (``count_on_groups``): counted again with what it holds,
    or, gone or being merged, returned to be counted on its own (nothing of it was counted; a
    group appears once in a transaction, and the parent of a merge may be in this one)."""
    if len(unit) == 1 and len(chunks(unit[0].events)) > 1:
        share = unit[0]
        found = count_on_group(project, share.group_id, share.events, share.hash, outcomes)
        return [] if found else [share]
    groups = [GroupCounting(share.group_id, share.events) for share in unit]
    written: list[CountedEvents] = []
    counted = count_on_groups(project, shard, groups, written)
    for share, group, done in zip(unit, groups, counted, strict=True):
        if group.live:
            keep_uncounted(share.events, done, share.hash, outcomes)
            after_counting(project, share.group_id, share.hash, done, outcomes, None)
    ledger.mark_followed(written)
    return [share for share, group in zip(unit, groups, strict=True) if not group.live]
