"""What only the issue details add to a group (Sentry's GroupDetails): its first and last release,
who has seen it (``seenBy``), who takes part (``participants``: its active subscribers), and its
tag keys with their totals. One Query for each kind of person row of the group's partition, one
GetItem of its tag summary, one BatchGetItem each for the users and the releases."""

from __future__ import annotations

from typing import Any

from shared.releases.service import ReleaseListing
from shared.serializers.accounts import serialize_user
from shared.serializers.dates import format_datetime
from shared.serializers.releases import serialize_release
from shared.storage.accounts import Project, User
from shared.storage.base import batch_get
from shared.storage.group_people import GroupSeen, GroupSubscription
from shared.storage.issues import Group, group_pk
from shared.storage.releases import Release
from shared.tags.store import group_tags
from shared.tags.views import key_label


def _releases(org_id: int, versions: list[str], projects: list[Project]) -> dict[str, dict[str, Any]]:
    wanted = sorted({v for v in versions if v})
    found = batch_get(Release, [Release.key(org_id, v) for v in wanted])
    views = ReleaseListing(projects, iter(())).views(found)
    return {view.release.version: dict(serialize_release(view)) for view in views}


def details_extras(group: Group, projects: list[Project]) -> dict[str, Any]:
    """``firstRelease``, ``lastRelease``, ``seenBy``, ``participants`` and ``tags`` of the group."""
    tags = group_tags(group.id)
    pk = group_pk(group.id)
    seen = list(GroupSeen.query(pk, GroupSeen.sk.startswith("SEEN#")))
    rows = GroupSubscription.query(pk, GroupSubscription.sk.startswith("SUBSCRIPTION#"))
    subscribed = [row for row in rows if row.is_active]
    user_ids = sorted({r.user_id for r in seen} | {r.user_id for r in subscribed})
    users = {u.id: u for u in batch_get(User, [User.key(i) for i in user_ids])}
    first, last = group.first_release_version, tags.newest_value("release")
    releases = _releases(group.org_id, [v for v in (first, last) if v], projects)
    participants = [serialize_user(users[r.user_id]) for r in subscribed if r.user_id in users]
    seen_by = [
        {**serialize_user(users[r.user_id]), "lastSeen": format_datetime(r.last_seen)}
        for r in sorted(seen, key=lambda r: r.last_seen, reverse=True)
        if r.user_id in users
    ]
    return {
        "firstRelease": releases.get(first) if first else None,
        "lastRelease": releases.get(last) if last else None,
        "seenBy": seen_by,
        "participants": participants,
        "tags": [
            {"key": key, "name": key_label(key), "totalValues": counts.total}
            for key, counts in sorted(tags.keys.items())
        ],
    }
