"""Commits that say they fix a group ("Fixes WEB-12"): a GroupLink(commit, resolves) per group and a
REFERENCED_IN_COMMIT activity (decision 5: the newest Sentry links and logs; resolution waits for a
release that contains the commit)."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from shared.issues.activity import new_activity
from shared.issues.enums import ActivityType
from shared.issues.transaction import transaction
from shared.storage.base import cancelled_by_condition, chunked, utcnow
from shared.storage.dynamodb import max_transaction_items
from shared.storage.issues import Group, GroupLink, IssueItem

# Two writes per group (link, activity) in one transaction.
_WRITES_PER_GROUP = 2


def link_commit_to_groups(
    commit_id: int, commit_key: str, groups: list[Group], user_id: int | None = None
) -> list[Group]:
    """Link the commit to each group; returns the groups that were not linked to it before.

    Each link is put only if absent, in the same transaction as its activity, so relinking (a
    commit stored again, two releases sharing it, a concurrent writer) never logs twice. Usually
    one TransactWriteItems per 50 groups (half the largest transaction): a cancelled one is retried
    without the groups whose link already existed."""
    distinct = list({int(g.id): g for g in groups}.values())
    linked: list[Group] = []
    for chunk in chunked(distinct, max_transaction_items() // _WRITES_PER_GROUP):
        linked.extend(_link(commit_id, commit_key, chunk, user_id))
    return linked


def _link(commit_id: int, commit_key: str, groups: list[Group], user_id: int | None) -> list[Group]:
    pending = groups
    while pending:
        now = utcnow()
        try:
            with transaction() as write:
                for group in pending:
                    pk, sk = GroupLink.commit_key(int(group.id), commit_id)
                    link = GroupLink(
                        pk=pk,
                        sk=sk,
                        linked_id=commit_id,
                        project_id=int(group.project_id),
                        group_id=int(group.id),
                        date_added=now,
                    )
                    write.save(link, condition=IssueItem.pk.does_not_exist())
                    activity = new_activity(
                        group,
                        ActivityType.REFERENCED_IN_COMMIT,
                        user_id=user_id,
                        ident=str(commit_id),
                        data={"commit": commit_key},
                        when=now,
                    )
                    write.save(activity)
        except TransactWriteError as error:
            cancelled = cancelled_by_condition(error)
            if not any(cancelled):
                raise
            # Puts keep their order: the link of pending[i] is operation 2*i.
            pending = [g for i, g in enumerate(pending) if not cancelled[2 * i]]
            continue
        return pending
    return []
