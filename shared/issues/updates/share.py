"""Making a group public or private (Sentry's handle_is_public): any existing share is dropped
(SET_PRIVATE) and, when public, a new share with a fresh uuid is made (SET_PUBLIC). The share row is
written conditionally on the one read, so concurrent toggles never leave two activity trails for one
share."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shared.issues.activity import new_activity
from shared.issues.enums import ActivityType
from shared.issues.state import GroupState
from shared.issues.updates.changes import GroupChange
from shared.storage.group_people import GroupShare
from shared.storage.issues import IssueItem


def _unchanged(state: GroupState) -> Any:
    if state.share is None:
        return IssueItem.pk.does_not_exist()
    return GroupShare.uuid == state.share.uuid


def plan_share(
    state: GroupState, change: GroupChange, public: bool, actor_id: int | None, now: datetime
) -> str | None:
    """Returns the new share id, or None when the group is now private."""
    group = state.group
    if state.share is not None:
        change.put(new_activity(group, ActivityType.SET_PRIVATE, user_id=actor_id, when=change.tick()))
    if not public:
        if state.share is not None:
            change.delete(state.share, condition=_unchanged(state))
        return None
    pk, sk = GroupShare.key(group.id)
    share = GroupShare(
        pk=pk,
        sk=sk,
        uuid=uuid.uuid4().hex,
        project_id=group.project_id,
        user_id=actor_id,
        date_added=now,
    )
    change.put(share, condition=_unchanged(state))
    change.put(new_activity(group, ActivityType.SET_PUBLIC, user_id=actor_id, when=change.tick()))
    return share.uuid
