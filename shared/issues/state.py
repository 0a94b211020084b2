"""A group together with the child rows an update decides on and the serializer shows: inbox,
resolution, snooze, assignee, share, and the acting user's subscription, bookmark and seen mark.

All of them have known keys in the group's partition, so the state of many groups is read with
BatchGetItem, 100 keys per request, whatever the size of the groups' activity feeds."""

from __future__ import annotations

from dataclasses import dataclass

from shared.storage.base import batch_get
from shared.storage.group_people import GroupAssignee, GroupBookmark, GroupSeen, GroupShare, GroupSubscription
from shared.storage.group_state import GroupSnooze
from shared.storage.issues import Group, GroupInbox, GroupResolution, IssueItem, group_pk


@dataclass
class GroupState:
    group: Group
    inbox: GroupInbox | None = None
    resolution: GroupResolution | None = None
    snooze: GroupSnooze | None = None
    assignee: GroupAssignee | None = None
    share: GroupShare | None = None
    subscription: GroupSubscription | None = None
    bookmark: GroupBookmark | None = None
    seen: GroupSeen | None = None


_GROUP_ROWS: dict[str, str] = {
    GroupInbox.key(0)[1]: "inbox",
    GroupResolution.key(0)[1]: "resolution",
    GroupSnooze.key(0)[1]: "snooze",
    GroupAssignee.key(0)[1]: "assignee",
    GroupShare.key(0)[1]: "share",
}
_USER_ROWS = {"SUBSCRIPTION": "subscription", "BOOKMARK": "bookmark", "SEEN": "seen"}


def _keys(group_id: int, user_id: int | None) -> list[tuple[str, str]]:
    keys = [(group_pk(group_id), sk) for sk in _GROUP_ROWS]
    if user_id is not None:
        keys += [
            GroupSubscription.key(group_id, user_id),
            GroupBookmark.key(group_id, user_id),
            GroupSeen.key(group_id, user_id),
        ]
    return keys


def load_states(groups: list[Group], user_id: int | None, consistent: bool = False) -> list[GroupState]:
    """The state of each group (in the given order); ``groups`` are as already read."""
    states = {int(g.id): GroupState(g) for g in groups}
    keys = [key for group_id in states for key in _keys(group_id, user_id)]
    for row in batch_get(IssueItem, keys, consistent_read=consistent):
        state = states.get(int(row.pk.removeprefix("GROUP#")))
        if state is None:
            continue
        attribute = _GROUP_ROWS.get(row.sk) or _USER_ROWS.get(row.sk.split("#", 1)[0])
        if attribute is not None:
            setattr(state, attribute, row)
    return [states[int(g.id)] for g in groups]


def reload_groups(group_ids: list[int]) -> list[Group]:
    """The groups as stored now (consistent), e.g. after an update refused by a condition."""
    found = {int(g.id): g for g in batch_get(Group, [Group.key(i) for i in group_ids], consistent_read=True)}
    return [found[i] for i in group_ids if i in found]
