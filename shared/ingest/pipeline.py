"""From events to their issue, a group of events at a time: all events of one grouping hash in a
batch are counted together, and the hashes of one ledger shard in shared transactions
(``process_events``); one event alone is a batch of one (``process_event``).

Per ledger shard of a project: the ledger's read of the events already counted
(``shared.ingest.ledger``: a redelivered event counts nothing twice), GroupHash → group per hash
(existing or new), then one transaction for a few groups of the shard (as many as the engine's
transaction limit takes) that adds each group's events to its ``times_seen``, sets
``last_seen``/title/culprit/level from its newest event (on condition that the group is live and
the events are not older than its last one), adds them to their hour's count (on the group item
for its current hour) and puts one ledger entry per second of their time for all of them (on
condition that it is new); the ledger's second read compensates an event two deliveries counted.
The batch's new issues of the project are created together (``new_groups``: one short-id counter
update, shared transactions); a tombstoned hash, a hash claimed by another batch meanwhile or a
group too busy for a shared transaction is counted on its own (``process_hash_events``), in
transactions of whole seconds. The steps live in
``shared.ingest.counting``: the counting transaction (``writes``), the groups that refuse it read and
it written again (``refusal``), a hash on its own (``on_group``), the shared transactions of a shard
(``shards``) and what follows counting (``aftermath``).
Then per group the users' merge, its tags, one read of the group,
and the transitions the events cause (regression, snooze expiry, escalation) on the first event that
triggers them. The group's place
in the ``by_project_listing`` index (its ``gsi1sk``) moves only when ``last_seen`` has advanced by
``INDEX_STEP`` since it last moved, so a storm moves it once a minute, not once per event. Once
all that succeeded, each ledger entry of the counting is marked followed up; events the ledger's
first read finds counted in an entry without its mark (a delivery that failed or died after its
commit) get those steps now (``finish_pending``) instead of being counted again. The marks of a
delivery of a project's batch are one item (``ledger.delivery``).

Hash states (docs/decisions.md §ingest.7, and the deletion pipeline, §deletion.2):
- tombstoned: the events are dropped and counted on the tombstone (``times_discarded``);
- linked to a live group: the events are counted there;
- linked to a group being merged: followed to the merge parent (``merged_into``);
- unlinked, or linked to a group that is gone or being deleted: the first event starts a new group,
  which claims the hash on condition that nobody else claimed it meanwhile (else: start over); the
  others are counted on it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence

from shared.errors import Conflict
from shared.ingest import ledger
from shared.ingest.counting.aftermath import finish_pending
from shared.ingest.counting.new_groups import (
    after_creation,
    create_new_groups,
    has_rules,
    needs_new_group,
    new_group,
)
from shared.ingest.counting.on_group import count_discarded, count_on_group
from shared.ingest.counting.outcome import (
    MAX_ATTEMPTS,
    Outcome,
    ProjectRef,
    in_order,
    keep_uncounted,
    unique,
)
from shared.ingest.counting.shards import Share, count_shared, units
from shared.ingest.event import Event
from shared.ingest.grouping import event_hash
from shared.issues.groups import create_groups
from shared.releases.from_events import record_named
from shared.side_by_side import side_by_side
from shared.storage.accounts import ProjectKey
from shared.storage.base import batch_get
from shared.storage.group_state import GroupHash
from shared.storage.issues import Group


def process_event(key: ProjectKey, event: Event) -> Outcome:
    """Store ``event`` of the key's project as an occurrence of its issue (a batch of one)."""
    project = ProjectRef(key.project_id, key.org_id)
    releases = record_named(project, [event])
    [outcome] = process_hash_events(project, event_hash(event), [event], releases=releases)
    return outcome


def process_events(
    project: ProjectRef,
    by_hash: Mapping[str, Sequence[Event]],
    releases: frozenset[str],
    first: Collection[str] = (),
) -> dict[str, list[Outcome] | Exception]:
    """``_process_events`` as one delivery of the ledger (``ledger.delivery``): the follow-up steps
    done are recorded by one mark at the end; when it cannot be written every hash is reported
    failed, and their redelivery finishes the steps again (they are idempotent or guarded)."""
    with ledger.delivery(project.id) as done:
        stored = _process_events(project, by_hash, releases, first)
    try:
        ledger.write_batch_mark(done)
    except Exception as error:
        failed: dict[str, list[Outcome] | Exception] = dict.fromkeys(stored, error)
        return failed
    return stored


def _process_events(
    project: ProjectRef,
    by_hash: Mapping[str, Sequence[Event]],
    releases: frozenset[str],
    first: Collection[str],
) -> dict[str, list[Outcome] | Exception]:
    """Store the events of a batch of the project, ``by_hash`` (grouping hash → its events), as
    occurrences of their issues: per hash its Outcomes in the order given, or the exception that
    kept them from being stored (the other hashes are stored all the same).

    Per ledger shard: one ledger read of the shard's seconds; then each hash read; the hashes linked
    to a group are counted together, a few groups per transaction with one ledger entry per second
    for all of them (``count_shared``); the others (new issues, tombstoned hashes) one by one,
    in the order of their first event (``process_hash_events``). ``releases``: the versions the
    events name, made sure to exist (``shared.releases.from_events.record_named``); ``first``: the ids
    this delivery claimed for the first time (``shared.ingest.claims``), which no ledger entry can
    hold yet: a shard's partitions are read for its other events only."""
    results: dict[str, list[Outcome] | Exception] = {}
    outcomes: dict[str, Outcome] = {}
    pending = {hash_value: unique(events) for hash_value, events in by_hash.items()}
    shards: dict[int, list[str]] = defaultdict(list)
    for hash_value in by_hash:
        shards[ledger.shard_of(hash_value)].append(hash_value)
    checks: dict[int, ledger.PreCheck] = {}
    alone: dict[str, GroupHash | None] = {}
    shared: dict[int, list[Share]] = defaultdict(list)
    reads = side_by_side(  # the shards' ledger reads, a few at once
        lambda s: ledger.uncounted(project.id, s, [e for h in shards[s] for e in pending[h]], first), shards
    )
    for shard, hashes in shards.items():
        read = reads[shard]
        if isinstance(read, Exception):
            results.update((hash_value, read) for hash_value in hashes)
            continue
        checks[shard] = read
        for hash_value in hashes:
            pending[hash_value] = keep_uncounted(
                pending[hash_value], checks[shard].uncounted, hash_value, outcomes, checks[shard].owners
            )
        try:
            hash_of = {event.event_id: h for h in hashes for event in by_hash[h]}
            finish_pending(project, checks[shard].pending, hash_of, outcomes)
        except Exception as error:
            results.update((hash_value, error) for hash_value in hashes)
    wanted = [hash_value for hash_value in by_hash if hash_value not in results and pending[hash_value]]
    try:
        hash_rows = _get_hashes(project.id, wanted)
    except Exception as error:
        results.update((hash_value, error) for hash_value in wanted)
        wanted = []
    for hash_value in wanted:
        hash_row = hash_rows.get(hash_value)
        if hash_row is not None and hash_row.tombstone_id is None and hash_row.group_id is not None:
            share = Share(hash_value, hash_row.group_id, pending[hash_value])
            shared[ledger.shard_of(hash_value)].append(share)
        else:
            alone[hash_value] = hash_row
    fresh = {hash_value: pending[hash_value] for hash_value, row in alone.items() if needs_new_group(row)}
    try:
        results.update(create_new_groups(project, fresh, releases))
    except Exception as error:
        results.update((hash_value, error) for hash_value in fresh)
    for hash_value, hash_row in alone.items():
        if hash_value in results:
            continue
        try:
            # a new group claimed by another batch meanwhile: the hash is read again
            read = None if hash_value in fresh else (checks[ledger.shard_of(hash_value)], hash_row)
            results[hash_value] = process_hash_events(
                project, hash_value, pending[hash_value], read, releases
            )
        except Exception as error:
            results[hash_value] = error
    for shard, shares in shared.items():
        for unit in units(shares):
            try:
                moved = count_shared(project, shard, unit, outcomes)
            except Exception as error:
                results.update((share.hash, error) for share in unit)
                continue
            for share in moved:  # its group went away or is being merged: counted on its own
                try:
                    results[share.hash] = process_hash_events(
                        project, share.hash, share.events, releases=releases
                    )
                except Exception as error:
                    results[share.hash] = error
    stored: dict[str, list[Outcome] | Exception] = {}
    for hash_value, events in by_hash.items():
        result = results.get(hash_value, [])
        if isinstance(result, Exception):
            stored[hash_value] = result
        else:
            stored[hash_value] = in_order(events, {**outcomes, **{o.event_id: o for o in result}})
    return stored


def process_hash_events(
    project: ProjectRef,
    hash_value: str,
    events: Sequence[Event],
    read: tuple[ledger.PreCheck, GroupHash | None] | None = None,
    releases: frozenset[str] = frozenset(),
) -> list[Outcome]:
    """Store ``events`` (all of grouping hash ``hash_value``) as occurrences of their issue; one
    Outcome per event, in the order given. ``read``: the ledger's read of them and the hash row,
    just made, if any; ``releases``: the versions known to exist (a new group's first release is
    one of them, else none)."""
    pending = unique(events)
    shard = ledger.shard_of(hash_value)
    outcomes: dict[str, Outcome] = {}
    for attempt in range(MAX_ATTEMPTS):
        fresh_read = read if attempt == 0 else None
        check = fresh_read[0] if fresh_read is not None else ledger.uncounted(project.id, shard, pending)
        pending = keep_uncounted(pending, check.uncounted, hash_value, outcomes, check.owners)
        if read is None and attempt == 0:  # its own first read: finish what it found
            finish_pending(project, check.pending, {e.event_id: hash_value for e in events}, outcomes)
        if not pending:
            return in_order(events, outcomes)
        hash_row = fresh_read[1] if fresh_read is not None else _get_hash(project.id, hash_value)
        if hash_row is not None and hash_row.tombstone_id is not None:
            discarded = count_discarded(project, hash_value, hash_row.tombstone_id, pending)
            counted = {event.event_id for event in discarded}
            for event in pending:
                done = event.event_id in counted
                outcomes[event.event_id] = Outcome(
                    event.event_id, hash_value, None, discarded=done, duplicate=not done
                )
            return in_order(events, outcomes)
        stale_group_id = None
        if hash_row is not None and hash_row.group_id is not None:
            found = count_on_group(project, hash_row.group_id, pending, hash_value, outcomes)
            if found:
                return in_order(events, outcomes)
            stale_group_id = hash_row.group_id
        first = pending[0]
        rules = has_rules(project)
        [group] = create_groups(
            project, [new_group(project, hash_value, pending, stale_group_id, releases, rules)]
        )
        if not isinstance(group, Group):
            # a concurrent batch created the group (or a discard tombstoned the hash), or counted
            # the first event meanwhile: read the ledger and the hash again
            continue
        ledger.settle(project.id, shard, [first])
        after_creation(project, hash_value, group, pending, outcomes, rules)
        return in_order(events, outcomes)
    raise Conflict("The event's issue is changing too fast; retry the event")


def _get_hashes(project_id: int, hashes: Sequence[str]) -> dict[str, GroupHash]:
    """The hash rows found of ``hashes``: consistent BatchGetItems of 100 keys."""
    keys = {GroupHash.key(project_id, hash_value): hash_value for hash_value in hashes}
    rows = batch_get(GroupHash, list(keys), consistent_read=True)
    return {keys[(row.pk, row.sk)]: row for row in rows}


def _get_hash(project_id: int, hash_value: str) -> GroupHash | None:
    try:
        return GroupHash.get(*GroupHash.key(project_id, hash_value), consistent_read=True)
    except GroupHash.DoesNotExist:
        return None
