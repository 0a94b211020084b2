"""The local system with its demo organization, as the benchmarks drive it: the API's URL, the demo
project and an HTTP session authenticated with the demo token; and groups made for measuring."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests


@dataclass
class DemoApi:
    base: str
    demo: Any
    project: Any
    http: requests.Session


@contextmanager
def demo_api() -> Iterator[DemoApi]:
    """Start the local system (reading the environment as it is now) and yield its demo API."""
    from local.system import local_system

    with local_system() as system:
        from shared.accounts.organizations import find_organization
        from shared.storage.accounts import Project

        demo = system.demo
        org = find_organization(demo.org)
        project = Project.get(*Project.key(org.id, demo.project))
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {demo.token}"
        yield DemoApi(system.base_url, demo, project, http)


def new_groups(project: Any, count: int) -> list[int]:
    """``count`` new groups, created as ingestion creates them (one transaction each)."""
    from shared.issues.groups import create_group

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda i: create_group(project, f"Error {i}").id, range(count)))


def cloned_groups(project: Any, count: int) -> list[int]:
    """``count`` copies of one new group's rows (group and inbox) under fresh ids, batch-written.

    Setup only: the local DynamoDB copies the whole table for every transaction, so creating a
    thousand groups one transaction at a time would take most of the run."""
    from shared.issues.groups import create_group
    from shared.sequences import allocate
    from shared.storage.base import BATCH_WRITE_LIMIT, chunked
    from shared.storage.issues import Group, IssueItem, group_pk, status_index_sk

    template = create_group(project, "Bulk")
    rows = list(IssueItem.query(group_pk(template.id)))
    ids = list(allocate("group", count))
    clones = []
    for group_id in ids:
        for row in rows:
            clone = type(row).from_raw_data(row.serialize())
            clone.pk = group_pk(group_id)
            if isinstance(clone, Group):
                clone.id = group_id
                clone.gsi1sk = status_index_sk(clone.last_seen, group_id)
            clones.append(clone)
    for chunk in chunked(clones, BATCH_WRITE_LIMIT):
        with IssueItem.batch_write() as batch:
            for clone in chunk:
                batch.save(clone)
    return ids
