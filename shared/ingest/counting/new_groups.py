"""The new issues of a batch, created together: one short-id counter update for all of a project's
new groups in the batch, their rows in as few transactions as the engine allows
(``shared.issues.groups.create_groups``), one ledger settlement per shard.

Why: created one at a time, each taking the project's next short id in its own transaction on
condition of the counter's value, a burst of new issues (a deploy that changes grouping) was
created one after another, however many batches took it, and concurrent batches kept losing the
number to each other. The hash claim stays a condition of each group's rows, so racing batches
still create each issue once: a batch whose claim is refused leaves the hash to
``process_hash_events``, which reads it again and counts the events on the group that won."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from shared.alerts.evaluation import Batch, evaluate, project_rules
from shared.ingest import ledger
from shared.ingest.counting.on_group import count_on_group
from shared.ingest.counting.outcome import Outcome, ProjectRef, in_order, users_of
from shared.ingest.event import Event
from shared.ingest.ledger import Target
from shared.issues.groups import CreatedBy, NewGroup, create_groups
from shared.side_by_side import side_by_side
from shared.storage.group_state import CountedEvents, GroupHash, hour_bucket
from shared.storage.issues import Group, IssueItem
from shared.tags.store import first_tags_row

# Ledger settlements of a batch's new groups run side by side, one shard each.
SETTLING_THREADS = 4


def needs_new_group(hash_row: GroupHash | None) -> bool:
    """Whether a hash read now starts a new group: it was never seen, or was unlinked."""
    return hash_row is None or (hash_row.tombstone_id is None and hash_row.group_id is None)


def create_new_groups(
    project: ProjectRef, by_hash: Mapping[str, Sequence[Event]], releases: frozenset[str]
) -> dict[str, list[Outcome] | Exception]:
    """A new group for each hash of ``by_hash`` (its uncounted events, oldest first), created with
    its first event counted, then the hash's other events counted on it: per hash its Outcomes in
    the order given, or the exception that stopped it after the group was created. A hash whose
    group was not created here (claimed meanwhile, or its first event counted meanwhile) is left
    out, for the caller to count on its own. ``releases``: the versions known to exist."""
    hashes = list(by_hash)
    firsts = [by_hash[hash_value][0] for hash_value in hashes]
    rules = has_rules(project)
    created = create_groups(
        project, [new_group(project, h, by_hash[h], None, releases, rules) for h in hashes]
    )
    settled: dict[int, list[Event]] = defaultdict(list)
    groups: dict[str, Group] = {}
    for hash_value, first, group in zip(hashes, firsts, created, strict=True):
        if isinstance(group, Group):
            groups[hash_value] = group
            settled[ledger.shard_of(hash_value)].append(first)
    results: dict[str, list[Outcome] | Exception] = {}
    # one Query per shard, a few at once: their round trips need not add up (fewer than the first
    # reads: the groups are listed by now, and users' reads share the store with them)
    settling = side_by_side(lambda s: ledger.settle(project.id, s, settled[s]), settled, SETTLING_THREADS)
    for shard, error in settling.items():
        if error is not None:
            results.update((h, error) for h in groups if ledger.shard_of(h) == shard)
    for hash_value, group in groups.items():
        if hash_value in results:
            continue
        try:
            outcomes: dict[str, Outcome] = {}
            after_creation(project, hash_value, group, by_hash[hash_value], outcomes, rules)
            results[hash_value] = in_order(by_hash[hash_value], outcomes)
        except Exception as error:
            results[hash_value] = error
    return results


def has_rules(project: ProjectRef) -> bool:
    """Whether the project has alert rules, as this container knows them: read once per creation,
    so that the creating transaction and what follows agree on who marks the first event done."""
    return bool(project_rules(project.id))


def new_group(
    project: ProjectRef,
    hash_value: str,
    events: Sequence[Event],
    stale_group_id: int | None,
    releases: frozenset[str],
    rules: bool = True,
) -> NewGroup:
    """The group the first of ``events`` (uncounted, oldest first) starts for its hash (taking it
    over from ``stale_group_id``, a group on its way out, if given), created with that event
    counted on it. Its first release is the event's when ``releases`` (the versions the batch made
    sure exist, with their first and last events recorded) has it: a group's first release must be
    a real release (it counts in the release's ``new_groups``). ``rules``: the project has alert
    rules (``has_rules``)."""
    first, alone = events[0], len(events) == 1

    def created_by(group_id: int) -> CreatedBy:
        """The first event counted in the creating transaction: its ledger entry and hour, and,
        when no other event follows, its tags and the hour's users (one item) (else what follows counting
        writes them for all the events), and then, when the project has no alert rules,
        the entry's follow-up mark. With rules the mark waits for their evaluation
        (``after_creation``): a delivery that dies before it leaves the entry pending, and the
        next delivery of the event evaluates them with it as the group's first."""
        entries = first_entries(project, hash_value, first, group_id)
        follow: list[IssueItem] = []
        if alone:
            follow.append(first_tags_row(group_id, [first], users_of([first])))
            if not rules:
                follow.extend(ledger.followed_marks(entries))
        hour = {"current_hour": hour_bucket(first.timestamp), "current_hour_count": 1}
        return CreatedBy(claims=[*entries, *follow], group_attributes=hour)

    return NewGroup(
        first.title,
        culprit=first.culprit,
        level=first.level,
        first_release_version=first.release if first.release in releases else None,
        first_seen=first.timestamp,
        data={"type": first.type, "metadata": first.metadata},
        hash_value=hash_value,
        stale_group_id=stale_group_id,
        created_by=created_by,
    )


def after_creation(
    project: ProjectRef,
    hash_value: str,
    group: Group,
    events: Sequence[Event],
    outcomes: dict[str, Outcome],
    rules: bool = True,
) -> None:
    """What follows the creation of ``group`` with the first of ``events`` counted (and settled in
    the ledger): the other events, if any, counted on it like on any other group, or the alert
    rules evaluated on the first alone; ``outcomes`` gets theirs. ``rules``: as given to
    ``new_group`` (without, a lone first event's follow-up mark was written with the group)."""
    first, rest = events[0], list(events[1:])
    outcomes[first.event_id] = Outcome(first.event_id, hash_value, group.id, is_new=True)
    if rest:  # (alone, its users and tags were written with the group)
        count_on_group(project, group.id, rest, hash_value, outcomes, created=first)
    else:
        evaluate(project.id, Batch(project.org_id, group, [first], first, None))
    if rest or rules:
        ledger.mark_followed(first_entries(project, hash_value, first, group.id))


def first_entries(project: ProjectRef, hash_value: str, first: Event, group_id: int) -> list[CountedEvents]:
    """The ledger entries of a new group's first event, counted in the creating transaction (the
    same keys whenever they are made), marked as the group's creation."""
    shard = ledger.shard_of(hash_value)
    entries = ledger.entries_for(project.id, shard, [(Target(group_id=group_id), [first])])
    for entry in entries:
        entry.creates_group = True
    return entries
