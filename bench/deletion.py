"""Benchmark the deletion pipeline: queuing a group with 10,000 child rows for deletion, then the
deletion worker's job for it — DynamoDB requests (keys-only paginated Query, BatchWriteItem of 25)
and wall time. Starts its own moto server; prints the figures as one JSON object on its last line.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local.metering import measure
from local.system import local_system

CHILDREN = 10_000
HASHES = 3


def _setup() -> Any:
    """An organization, a project and a group with ``CHILDREN`` activity rows and a few hashes."""
    from shared.accounts.organizations import add_member, create_organization
    from shared.accounts.teams import create_team
    from shared.accounts.users import create_user
    from shared.auth.access import Principal, organization_access
    from shared.issues.activity import new_activity
    from shared.issues.enums import ActivityType
    from shared.issues.groups import create_group
    from shared.projects.service import create_project
    from shared.storage.group_state import GroupHash, GroupHashRef
    from shared.storage.issues import Activity

    user = create_user("bench", "bench@example.com")
    org = create_organization("Bench", "bench")
    add_member(org, user.id, "owner")
    access = organization_access(Principal.acting_user(user.id), org.slug)
    team = create_team(access, "Bench", None)
    project = create_project(organization_access(Principal.acting_user(user.id), org.slug), team.slug, "Web")
    group = create_group(project, "ZeroDivisionError: division by zero")
    with Activity.batch_write() as batch:
        for _ in range(CHILDREN - 1 - HASHES):  # the inbox row is a child too
            batch.save(new_activity(group, ActivityType.NOTE, user_id=user.id, data={"text": "x"}))
    for i in range(HASHES):
        hash_value = f"{i:032x}"
        GroupHash(
            *GroupHash.key(project.id, hash_value),
            project_id=project.id,
            hash=hash_value,
            group_id=group.id,
        ).save()
        GroupHashRef(*GroupHashRef.key(group.id, hash_value), project_id=project.id, hash=hash_value).save()
    return group


def main() -> None:
    with local_system():
        from shared.issues.deletion.queue import delete_group_list
        from shared.issues.deletion.worker import delete_groups
        from shared.issues.row_keys import partition_keys
        from shared.storage.issues import Group, group_pk

        group = _setup()
        children = sum(1 for key in partition_keys(group_pk(group.id)) if key[1] != "GROUP")
        queued = measure(lambda: delete_group_list([group]))
        stored = Group.get(*Group.key(group.id), consistent_read=True)
        due = stored.delete_after + timedelta(seconds=1)
        worker = measure(lambda: delete_groups([group.id], "bench", now=due))
        left = sum(1 for _ in partition_keys(group_pk(group.id)))
        figures = {
            "children": children,
            "queue": {
                "requests": queued.requests,
                "by_operation": dict(queued.calls),
                "ms": round(queued.ms),
            },
            "worker": {
                "requests": worker.requests,
                "by_operation": dict(worker.calls),
                "seconds": round(worker.ms / 1000, 2),
                "rows_per_second": round(children / (worker.ms / 1000)),
            },
            "rows_left": left,
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
