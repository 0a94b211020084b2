"""What the group and activity serializers need, read in bulk (they read nothing themselves): each
group's state for the viewing user, the users and teams named by assignees and resolutions, the
distinct users and last 24 hourly event counts of the retained counts, whether a snooze is over, and
a group's newest activity with its users.

A page of groups costs a handful of BatchGetItem requests for states and actors, plus one Query per
group whose events are not all of its current hour, for its hourly counts and users (the others
need none: ``shared.issues.events.counts.only_current_hour``); those Queries run side by side,
so a page waits for about one of them rather than for all in turn."""

from __future__ import annotations

from dataclasses import dataclass

from shared.issues.activity import recent_activity
from shared.issues.enums import GroupStatus
from shared.issues.events.counts import RecentCounts, recent_counts
from shared.issues.state import GroupState, load_fresh_states, load_states
from shared.issues.status.snooze import snooze_is_over
from shared.side_by_side import side_by_side_raising
from shared.storage.accounts import Organization, Pointer, Project, Team, User
from shared.storage.base import batch_get
from shared.storage.issues import Activity, Group


@dataclass
class Actors:
    users: dict[int, User]
    teams: dict[int, Team]


@dataclass
class GroupView:
    state: GroupState
    project: Project
    organization: Organization
    actors: Actors
    counts: RecentCounts
    # An ignored group whose snooze no longer holds answers as unresolved (the check may count events).
    snooze_over: bool = False

    @property
    def user_count(self) -> int:
        return self.counts.users_seen


def load_actors(user_ids: set[int], team_ids: set[int], known: Actors | None = None) -> Actors:
    """The users and teams named; those in ``known`` (already read by this request) are not read again."""
    known = known or Actors({}, {})
    users = {i: known.users[i] for i in user_ids if i in known.users}
    teams = {i: known.teams[i] for i in team_ids if i in known.teams}
    users |= {u.id: u for u in batch_get(User, [User.key(i) for i in sorted(user_ids - set(users))])}
    pointers = batch_get(Pointer, [Team.id_key(i) for i in sorted(team_ids - set(teams))])
    teams |= {t.id: t for t in batch_get(Team, [(p.target_pk, p.target_sk) for p in pointers])}
    return Actors(users, teams)


@dataclass
class ActivityFeed:
    """A group's newest activity and the users it names, read for the activity serializer."""

    rows: list[Activity]
    actors: Actors


def load_feed(group_id: int) -> ActivityFeed:
    """The newest activity and its users: one Query, then one BatchGetItem when any row has a user."""
    rows = recent_activity(group_id)
    return ActivityFeed(rows, load_actors({r.user_id for r in rows if r.user_id is not None}, set()))


def _actor_ids(states: list[GroupState]) -> tuple[set[int], set[int]]:
    users: set[int] = set()
    teams: set[int] = set()
    for state in states:
        if state.assignee is not None and state.assignee.user_id is not None:
            users.add(state.assignee.user_id)
        if state.assignee is not None and state.assignee.team_id is not None:
            teams.add(state.assignee.team_id)
        for row in (state.resolution, state.snooze):
            if row is not None and row.actor_id is not None:
                users.add(row.actor_id)
    return users, teams


def group_views(
    organization: Organization, projects: list[Project], groups: list[Group], user_id: int | None
) -> list[GroupView]:
    """Views of ``groups`` (in order) as ``user_id`` sees them; reads are consistent, so a view taken
    right after an update shows it."""
    return _views(organization, projects, load_states(groups, user_id, consistent=True), None)


def fresh_group_views(
    organization: Organization,
    projects: list[Project],
    group_ids: list[int],
    user_id: int | None,
    known: Actors | None = None,
) -> list[GroupView]:
    """Views of the groups as stored now, each group read together with its state (the answer of
    an update); groups deleted meanwhile are left out. ``known`` actors are not read again."""
    return _views(organization, projects, load_fresh_states(group_ids, user_id), known)


def _views(
    organization: Organization, projects: list[Project], states: list[GroupState], known: Actors | None
) -> list[GroupView]:
    actors = load_actors(*_actor_ids(states), known)
    by_id = {p.id: p for p in projects}
    read = side_by_side_raising(lambda i: recent_counts(states[i].group, states[i].tags), range(len(states)))
    counts = list(read.values())
    return [
        GroupView(s, by_id[s.group.project_id], organization, actors, count, _snooze_over(s))
        for s, count in zip(states, counts, strict=True)
    ]


def _snooze_over(state: GroupState) -> bool:
    return (
        state.group.status == GroupStatus.IGNORED
        and state.snooze is not None
        and snooze_is_over(state.snooze, state.group)
    )
