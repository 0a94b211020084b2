"""Commits that say they fix a group ("Fixes WEB-12"): a GroupLink(commit, resolves) per group and a
REFERENCED_IN_COMMIT activity (docs/decisions.md §releases.14: the newest Sentry links and logs;
resolution waits for a release that contains the commit)."""

from __future__ import annotations

from pynamodb.exceptions import PutError, TransactWriteError

from shared.issues.activity import new_activity
from shared.issues.enums import ActivityType, GroupSubscriptionReason
from shared.issues.transaction import transaction
from shared.issues.updates.assignment import subscription
from shared.storage.base import BATCH_WRITE_LIMIT, cancelled_by_condition, chunked, condition_failed, utcnow
from shared.storage.dynamodb import max_transaction_items
from shared.storage.group_people import GroupSubscription
from shared.storage.issues import Group, GroupLink, IssueItem

# Two writes per group (link, activity) in one transaction.
_WRITES_PER_GROUP = 2


def link_commit_to_groups(commit_id: int, groups: list[Group], user_id: int | None = None) -> list[Group]:
    """Link the commit to each group; returns the groups that were not linked to it before.
    ``user_id`` is the user the commit's author is (or None): the activity's actor, and subscribed
    to each newly linked group (reason status change) unless they already have a subscription row.

    Each link is put only if absent, in the same transaction as its activity, so relinking (a
    commit stored again, two releases sharing it, a concurrent writer) never logs twice. Usually
    one TransactWriteItems per half the largest transaction of groups: a cancelled one is retried
    without the groups whose link already existed."""
    distinct = list({g.id: g for g in groups}.values())
    linked: list[Group] = []
    for chunk in chunked(distinct, max_transaction_items() // _WRITES_PER_GROUP):
        linked.extend(_link(commit_id, chunk, user_id))
    if user_id is not None:
        for group in linked:
            _subscribe(group, user_id)
    return linked


def unlink_commit_from_groups(commit_id: int, group_ids: list[int]) -> None:
    """Remove the commit's links to groups its message no longer references (25 per request)."""
    rows = [GroupLink(*GroupLink.commit_key(g, commit_id)) for g in group_ids]
    for chunk in chunked(rows, BATCH_WRITE_LIMIT):
        with GroupLink.batch_write() as batch:
            for row in chunk:
                batch.delete(row)


def _subscribe(group: Group, user_id: int) -> None:
    """Sentry's get-or-create subscription: an existing row (even an unsubscribe) is kept."""
    row = subscription(group, user_id, GroupSubscriptionReason.STATUS_CHANGE)
    try:
        row.save(condition=GroupSubscription.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise


def _link(commit_id: int, groups: list[Group], user_id: int | None) -> list[Group]:
    pending = groups
    while pending:
        now = utcnow()
        try:
            with transaction() as write:
                for group in pending:
                    pk, sk = GroupLink.commit_key(group.id, commit_id)
                    link = GroupLink(
                        pk=pk,
                        sk=sk,
                        linked_id=commit_id,
                        project_id=group.project_id,
                        group_id=group.id,
                        date_added=now,
                    )
                    write.save(link, condition=IssueItem.pk.does_not_exist())
                    activity = new_activity(
                        group,
                        ActivityType.REFERENCED_IN_COMMIT,
                        user_id=user_id,
                        ident=str(commit_id),
                        data={"commit": commit_id},
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
