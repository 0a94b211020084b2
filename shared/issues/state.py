"""A group together with the child rows an update decides on and the serializer shows: inbox,
resolution, snooze, assignee, share, the tag summary (which holds the newest hour of users the
view's counts need), and the acting user's subscription, bookmark and seen mark.

All of them have known keys in the group's partition, so the state of many groups is read with
BatchGetItem, 100 keys per request, whatever the size of the groups' activity feeds. An update reads
only the rows it decides on (``rows``): a bulk resolve of 1000 groups then reads 2000 keys instead
of 8000. A row that was not read cannot be mistaken for an absent one: reading it raises
:class:`UnreadRow`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.storage.base import batch_get
from shared.storage.group_people import GroupAssignee, GroupBookmark, GroupSeen, GroupShare, GroupSubscription
from shared.storage.group_state import GroupSnooze
from shared.storage.group_tags import GroupTags
from shared.storage.issues import Group, GroupInbox, GroupResolution, IssueItem, group_pk

_GROUP_ROWS: dict[str, str] = {
    GroupInbox.key(0)[1]: "inbox",
    GroupResolution.key(0)[1]: "resolution",
    GroupSnooze.key(0)[1]: "snooze",
    GroupAssignee.key(0)[1]: "assignee",
    GroupShare.key(0)[1]: "share",
    GroupTags.key(0)[1]: "tags",
}
_USER_ROWS = {"SUBSCRIPTION": "subscription", "BOOKMARK": "bookmark", "SEEN": "seen"}
ALL_ROWS = frozenset(_GROUP_ROWS.values()) | frozenset(_USER_ROWS.values())


class UnreadRow(LookupError):
    """A decision looked at a row its update did not ask ``load_states`` for (a programming error)."""


@dataclass
class GroupState:
    group: Group
    inbox: GroupInbox | None = None
    resolution: GroupResolution | None = None
    snooze: GroupSnooze | None = None
    assignee: GroupAssignee | None = None
    share: GroupShare | None = None
    tags: GroupTags | None = None
    subscription: GroupSubscription | None = None
    bookmark: GroupBookmark | None = None
    seen: GroupSeen | None = None
    unread: frozenset[str] = field(default=frozenset(), repr=False)

    def __getattribute__(self, name: str) -> Any:
        if name in ALL_ROWS and name in object.__getattribute__(self, "unread"):
            raise UnreadRow(f"the {name} row of the group was not read")
        return object.__getattribute__(self, name)


def _keys(group_id: int, user_id: int | None, rows: frozenset[str] = ALL_ROWS) -> list[tuple[str, str]]:
    keys = [(group_pk(group_id), sk) for sk, name in _GROUP_ROWS.items() if name in rows]
    if user_id is not None:
        user_keys = {
            "subscription": GroupSubscription.key(group_id, user_id),
            "bookmark": GroupBookmark.key(group_id, user_id),
            "seen": GroupSeen.key(group_id, user_id),
        }
        keys += [key for name, key in user_keys.items() if name in rows]
    return keys


def _place(states: dict[int, GroupState], row: IssueItem) -> None:
    """Put a row read from a group's partition on that group's state."""
    state = states.get(int(row.pk.removeprefix("GROUP#")))
    if state is None:
        return
    attribute = _GROUP_ROWS.get(row.sk) or _USER_ROWS.get(row.sk.split("#", 1)[0])
    if attribute is not None:
        setattr(state, attribute, row)


def load_states(
    groups: list[Group], user_id: int | None, consistent: bool = False, rows: frozenset[str] = ALL_ROWS
) -> list[GroupState]:
    """The state of each group (in the given order); ``groups`` are as already read. Only ``rows``
    are read; the others raise :class:`UnreadRow` when looked at."""
    unread = ALL_ROWS - rows
    states = {g.id: GroupState(g, unread=unread) for g in groups}
    keys = [key for group_id in states for key in _keys(group_id, user_id, rows)]
    for row in batch_get(IssueItem, keys, consistent_read=consistent):
        _place(states, row)
    return [states[g.id] for g in groups]


def load_fresh_states(group_ids: list[int], user_id: int | None) -> list[GroupState]:
    """The groups as stored now with all their state rows, read together in one consistent
    BatchGetItem per 100 keys (a group deleted meanwhile is left out)."""
    keys = [key for i in group_ids for key in [Group.key(i), *_keys(i, user_id)]]
    found = batch_get(IssueItem, keys, consistent_read=True)
    states = {g.id: GroupState(g) for g in found if isinstance(g, Group)}
    for row in found:
        if not isinstance(row, Group):
            _place(states, row)
    return [states[i] for i in group_ids if i in states]


def reload_groups(group_ids: list[int]) -> list[Group]:
    """The groups as stored now (consistent), e.g. after an update refused by a condition."""
    found = {g.id: g for g in batch_get(Group, [Group.key(i) for i in group_ids], consistent_read=True)}
    return [found[i] for i in group_ids if i in found]
