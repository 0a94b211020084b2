"""Who a workflow or deploy notification reaches, as Sentry's participants are chosen.

Workflow (an issue's activity): the issue's active subscribers, and the members who chose
``always`` for workflow, among the members of the project's teams; an explicit unsubscribe and
``never`` exclude. Deploy: the release's commit authors who are members of one of the deploy's
projects (``committed_only``, the default), every member of them with ``always``, nobody with
``never``. The actor is never told of their own action (Sentry's ``personalActivityNotifications``
off, its default)."""

from __future__ import annotations

from collections.abc import Iterable

from shared.accounts.organizations import list_members
from shared.accounts.users import user_ids_by_email
from shared.notifications.settings import ALWAYS, DEPLOY, NEVER, WORKFLOW, choices_of
from shared.storage.group_people import GroupSubscription
from shared.storage.issues import group_pk
from shared.storage.releases import ReleaseCommit, ReleaseItem, release_pk


def project_members(org_id: int, team_ids: Iterable[int]) -> set[int]:
    """The users on one of the teams (one Query of the organization's members)."""
    wanted = set(team_ids)
    return {m.user_id for m in list_members(org_id) if wanted.intersection(m.team_ids or ())}


def _subscriptions(group_id: int) -> dict[int, bool]:
    """Each subscription row of the group: the user and whether it is active (one Query)."""
    rows = GroupSubscription.query(
        group_pk(group_id), GroupSubscription.sk.startswith("SUBSCRIPTION#"), consistent_read=True
    )
    return {row.user_id: bool(row.is_active) for row in rows}


def workflow_recipients(
    org_id: int, team_ids: Iterable[int], group_id: int, actor_id: int | None
) -> set[int]:
    members = project_members(org_id, team_ids)
    subscriptions = _subscriptions(group_id)
    choices = choices_of(members, WORKFLOW)
    chosen: set[int] = set()
    for user_id in members:
        choice, subscribed = choices[user_id], subscriptions.get(user_id)
        if choice == NEVER or subscribed is False:
            continue
        if subscribed or choice == ALWAYS:
            chosen.add(user_id)
    return chosen - {actor_id}


def commit_author_ids(org_id: int, version: str) -> set[int]:
    """The users whose email is an author's of the release's commits (one Query, one BatchGetItem)."""
    rows = ReleaseItem.query(release_pk(org_id, version), ReleaseItem.sk.startswith("COMMIT#"))
    emails = {r.commit.author_email for r in rows if isinstance(r, ReleaseCommit) and r.commit.author_email}
    return set(user_ids_by_email(sorted(emails)).values())


def deploy_recipients(
    org_id: int, team_ids: Iterable[int], version: str, actor_id: int | None
) -> tuple[set[int], set[int]]:
    """The users told of the deploy, and the commit authors among them."""
    members = project_members(org_id, team_ids)
    authors = commit_author_ids(org_id, version) & members
    choices = choices_of(members, DEPLOY)
    chosen = {u for u in members if choices[u] == ALWAYS or (u in authors and choices[u] != NEVER)}
    chosen -= {actor_id}
    return chosen, authors & chosen
