"""``DELETE`` of issues (single and bulk): gone from reads at once, deleted by the worker, hashes
unlinked so the next event starts a new issue; admins only; error issues only."""

from __future__ import annotations

import pytest
import requests

from local.metering import count_requests
from shared.issues.enums import GroupStatus
from shared.storage.issues import Group
from tests.conftest import World, make_user
from tests.integration.deletion_support import (
    get_hash,
    group_hashes,
    partition,
    populated_group,
    project_of,
    run_worker_until_idle,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("no_deletion_delay", "empty_deletion_queue")


def _stored(group: Group) -> Group:
    return Group.get(*Group.key(group.id), consistent_read=True)


def test_deleting_an_issue(world: World, base_url: str, http: requests.Session) -> None:
    project = project_of(world)
    group = populated_group(project, "TypeError: x", world.owner_id)
    neighbour = populated_group(project, "KeyError: y", world.owner_id)
    before = snapshot(neighbour.id)
    hashes = group_hashes(group)
    url = f"{base_url}/api/0/issues/{group.id}/"

    with count_requests() as calls:
        response = http.delete(url, headers=world.headers())

    assert response.status_code == 202, response.text
    # token, group, organization (pointer + row), member | projects, the group's hash references |
    # one transaction marks it pending, one batch removes its inbox row, one update per hash, one job
    assert calls == {
        "GetItem": 5,
        "Query": 2,
        "TransactWriteItems": 1,
        "BatchWriteItem": 1,
        "UpdateItem": 2,
        "SendMessage": 1,
    }
    assert _stored(group).status == GroupStatus.PENDING_DELETION
    assert http.get(url, headers=world.headers()).status_code == 404
    assert http.delete(url, headers=world.headers()).status_code == 404
    for hash_value in hashes:
        assert get_hash(project.id, hash_value).group_id is None
    run_worker_until_idle()
    assert partition(group.id) == []
    assert snapshot(neighbour.id) == before


def test_bulk_delete_by_ids(world: World, base_url: str, http: requests.Session) -> None:
    project = project_of(world)
    doomed = [populated_group(project, f"E{i}", world.owner_id) for i in range(3)]
    kept = populated_group(project, "kept", world.owner_id)
    params = [("id", str(g.id)) for g in doomed] + [("id", "999999999999")]

    response = http.delete(
        f"{base_url}/api/0/organizations/{world.org}/issues/", params=params, headers=world.headers()
    )

    assert response.status_code == 204, response.text
    assert {_stored(g).status for g in doomed} == {GroupStatus.PENDING_DELETION}
    assert _stored(kept).status == GroupStatus.UNRESOLVED
    run_worker_until_idle()
    assert all(partition(g.id) == [] for g in doomed)


def test_only_admins_delete_and_only_error_issues(
    world: World, base_url: str, http: requests.Session
) -> None:
    from shared.accounts.organizations import add_member, find_organization

    project = project_of(world)
    group = populated_group(project, "E", world.owner_id)
    # an owner whose token lacks event:admin
    writer_id, writer_token = make_user({"event:read", "event:write", "org:read", "project:read"})
    add_member(find_organization(world.org), writer_id, "owner")
    url = f"{base_url}/api/0/issues/{group.id}/"
    refused = http.delete(url, headers=world.headers(writer_token))
    assert refused.status_code == 403
    bulk = http.delete(
        f"{base_url}/api/0/organizations/{world.org}/issues/",
        params={"id": str(group.id)},
        headers=world.headers(writer_token),
    )
    assert bulk.status_code == 403
    group.update(actions=[Group.category.set(2)])
    response = http.delete(url, headers=world.headers())
    assert response.status_code == 400 and response.json() == ["Only error issues can be deleted."]
    assert _stored(group).status == GroupStatus.UNRESOLVED
