"""The writes an issue update makes to one group, and how they reach DynamoDB together.

Every handler of an update (status, priority, assignment, inbox, share …) adds to the same
``GroupChange``: at most one UpdateItem of the group item (actions merged, so two handlers never write
it twice in a transaction), puts and deletes of its child rows, each optionally conditional on the
state the decision was based on. ``commit_changes`` packs the changes of many groups into
TransactWriteItems of at most 100 operations, so a group's change is all-or-nothing and a bulk update
of N groups costs about N/25 requests. A change refused by its own conditions is handed back to the
caller, which re-reads the group and decides again; the others are kept.

Per-user marks (subscriptions, bookmarks, seen) depend on nothing read: they are written afterwards
with BatchWriteItem, 25 at a time. A subscription made "if absent" depends on the read, so it goes
into the transaction with its condition."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from shared.issues.transaction import transaction
from shared.storage.base import BATCH_WRITE_LIMIT, cancelled_by_condition, chunked, utcnow
from shared.storage.dynamodb import max_transaction_items
from shared.storage.issues import Group, IssueItem


@dataclass
class GroupChange:
    """Everything one update writes for one group."""

    group: Group
    actions: list[Action] = field(default_factory=list)
    condition: Condition | None = None
    puts: dict[tuple[str, str], tuple[IssueItem, Condition | None]] = field(default_factory=dict)
    deletes: dict[tuple[str, str], tuple[IssueItem, Condition | None]] = field(default_factory=dict)
    marks: dict[tuple[str, str], IssueItem] = field(default_factory=dict)
    unmarks: dict[tuple[str, str], IssueItem] = field(default_factory=dict)
    _last_tick: datetime | None = None

    def tick(self) -> datetime:
        """Now, strictly later than the previous tick: the activity and history rows of one change
        sort by time, so they list in the order they were planned (Sentry's order)."""
        now = utcnow()
        if self._last_tick is not None and now <= self._last_tick:
            now = self._last_tick + timedelta(microseconds=1)
        self._last_tick = now
        return now

    def update(self, actions: Iterable[Action], condition: Condition | None = None) -> None:
        """Add actions on the group item; conditions of several handlers must all hold."""
        self.actions.extend(actions)
        if condition is not None:
            self.condition = condition if self.condition is None else self.condition & condition

    def put(self, item: IssueItem, condition: Condition | None = None) -> None:
        key = (item.pk, item.sk)
        self.deletes.pop(key, None)
        self.puts[key] = (item, condition)

    def delete(self, item: IssueItem, condition: Condition | None = None) -> None:
        key = (item.pk, item.sk)
        self.puts.pop(key, None)
        self.deletes[key] = (item, condition)

    def mark(self, item: IssueItem) -> None:
        """An unconditional per-user row, written after the transaction (last writer wins): it
        replaces whatever this change planned for the row before."""
        key = (item.pk, item.sk)
        self.unmarks.pop(key, None)
        self.puts.pop(key, None)
        self.marks[key] = item

    def unmark(self, item: IssueItem) -> None:
        key = (item.pk, item.sk)
        self.marks.pop(key, None)
        self.puts.pop(key, None)
        self.unmarks[key] = item

    def writes(self, item: IssueItem) -> bool:
        """Whether this change already puts or marks the row."""
        key = (item.pk, item.sk)
        return key in self.puts or key in self.marks

    @property
    def size(self) -> int:
        return len(self.puts) + len(self.deletes) + (1 if self.actions else 0)


def commit_changes(changes: list[GroupChange]) -> list[GroupChange]:
    """Write the changes; returns those refused by one of their conditions (nothing of them written)."""
    refused: list[GroupChange] = []
    batch: list[GroupChange] = []
    size = 0
    limit = max_transaction_items()
    for change in changes:
        if change.size > limit:
            raise ValueError("one group's change exceeds a transaction")
        if batch and size + change.size > limit:
            refused.extend(_commit(batch))
            batch, size = [], 0
        if change.size:
            batch.append(change)
            size += change.size
    if batch:
        refused.extend(_commit(batch))
    written = [c for c in changes if all(c is not r for r in refused)]
    _write_marks(written)
    return refused


def _commit(batch: list[GroupChange]) -> list[GroupChange]:
    """One TransactWriteItems (conflicts with concurrent transactions are retried where every
    DynamoDB call is, in ``shared.storage.dynamodb``); changes refused by a condition are taken
    out and the rest is written again."""
    refused: list[GroupChange] = []
    while batch:
        try:
            with transaction() as write:
                for change in batch:
                    for item, condition in change.deletes.values():
                        write.delete(item, condition=condition)
                    for item, condition in change.puts.values():
                        write.save(item, condition=condition)
                    if change.actions:
                        write.update(change.group, change.actions, condition=change.condition)
        except TransactWriteError as error:
            cancelled = cancelled_by_condition(error)
            if any(cancelled):
                failed = {id(owner) for owner, hit in zip(_owners(batch), cancelled, strict=False) if hit}
                refused.extend(c for c in batch if id(c) in failed)
                batch = [c for c in batch if id(c) not in failed]
                continue
            raise
        return refused
    return refused


def _owners(batch: list[GroupChange]) -> list[GroupChange]:
    """The change each operation of the transaction came from, in DynamoDB's order: PynamoDB sends
    deletes, then puts, then updates."""
    owners = [c for c in batch for _ in c.deletes]
    owners += [c for c in batch for _ in c.puts]
    owners += [c for c in batch if c.actions]
    return owners


def _write_marks(changes: list[GroupChange]) -> None:
    marks = [item for c in changes for item in c.marks.values()]
    unmarks = [item for c in changes for item in c.unmarks.values()]
    for chunk in chunked([(True, i) for i in marks] + [(False, i) for i in unmarks], BATCH_WRITE_LIMIT):
        with IssueItem.batch_write() as batch:
            for is_put, item in chunk:
                if is_put:
                    batch.save(item)
                else:
                    batch.delete(item)
