"""Project details PUT (the discard feature flag) and DELETE through the local API; the project's
deletion job on real SQS messages sends its groups through the same pipeline as issue deletions."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
import requests

from cli.admin import main
from local.metering import count_requests
from shared.accounts.organizations import add_member, find_organization
from shared.issues.deletion.sweeper import STUCK_AFTER, sweep
from shared.projects.features import DISCARD_GROUPS
from shared.projects.keys import get_project_key, list_project_keys
from shared.storage.accounts import Project
from shared.storage.base import utcnow
from shared.storage.environments import ProjectEnvironment
from shared.storage.group_state import ProjectDeletion
from tests.conftest import World, make_user
from tests.integration.deletion_support import (
    acknowledge,
    partition,
    populated_group,
    project_of,
    receive,
    row_exists,
    run_worker_until_idle,
    short_id_pointer_exists,
)

pytestmark = pytest.mark.usefixtures("no_deletion_delay", "empty_deletion_queue")


def _member_token(world: World) -> str:
    """A plain member of the organization: may read projects, may not administer them."""
    org = find_organization(world.org)
    assert org is not None
    user_id, token = make_user()
    add_member(org, user_id, "member")
    return token


def _stored(project: Project) -> Project:
    return Project.get(project.pk, project.sk, consistent_read=True)


def test_an_admin_turns_the_discard_feature_on_and_off(
    world: World, base_url: str, http: requests.Session
) -> None:
    project = project_of(world)
    url = f"{base_url}/api/0/projects/{world.org}/{world.project}/"

    on = http.put(url, json={"features": [DISCARD_GROUPS]}, headers=world.headers())

    assert on.status_code == 200, on.text
    assert on.json()["slug"] == world.project
    assert on.json()["features"] == [DISCARD_GROUPS]
    assert _stored(project).features == {DISCARD_GROUPS}
    group = populated_group(project, "discardable", world.owner_id)
    discard = http.put(
        f"{base_url}/api/0/issues/{group.id}/", json={"discard": True}, headers=world.headers()
    )
    assert discard.status_code == 204

    off = http.put(url, json={"features": []}, headers=world.headers())
    assert off.status_code == 200
    assert off.json()["features"] == []
    assert _stored(project).features is None


def test_project_put_refuses_non_admins_and_unknown_features(
    world: World, base_url: str, http: requests.Session
) -> None:
    project = project_of(world)
    url = f"{base_url}/api/0/projects/{world.org}/{world.project}/"

    member = http.put(url, json={"features": [DISCARD_GROUPS]}, headers=world.headers(_member_token(world)))
    unknown = http.put(url, json={"features": ["teleport"]}, headers=world.headers())
    wrong_type = http.put(url, json={"features": "discard-groups"}, headers=world.headers())

    assert member.status_code == 403
    assert unknown.status_code == 400
    assert unknown.json() == {"features": ["Unknown feature: teleport"]}
    assert wrong_type.status_code == 400
    assert "features" in wrong_type.json()
    assert _stored(project).features is None


def test_deleting_a_project_hides_it_and_deletes_its_groups(
    world: World, base_url: str, http: requests.Session
) -> None:
    project = project_of(world)
    groups = [populated_group(project, f"issue {i}", world.owner_id) for i in range(3)]
    environment = ProjectEnvironment(
        *ProjectEnvironment.key(project.id, "production"),
        id=1,
        project_id=project.id,
        org_id=project.org_id,
        name="production",
    )
    environment.save()
    key = list_project_keys(project)[0]
    url = f"{base_url}/api/0/projects/{world.org}/{world.project}/"

    with count_requests() as calls:
        response = http.delete(url, headers=world.headers())

    assert response.status_code == 204, response.text
    # token, organization, member, project | the pending mark and the key disabled (its listing:
    # one Query, one BatchGetItem) | the sweeper's marker, one job
    assert calls == {
        "GetItem": 4,
        "UpdateItem": 2,
        "Query": 1,
        "BatchGetItem": 1,
        "PutItem": 1,
        "SendMessage": 1,
    }
    assert http.get(url, headers=world.headers()).status_code == 404
    listed = http.get(f"{base_url}/api/0/organizations/{world.org}/projects/", headers=world.headers())
    assert world.project not in [p["slug"] for p in listed.json()]
    assert http.delete(url, headers=world.headers()).status_code == 404
    disabled = get_project_key(key.public_key)
    assert disabled is not None and disabled.is_active is False

    run_worker_until_idle()

    for group in groups:
        assert partition(group.id) == []
        assert not short_id_pointer_exists(group)
    assert get_project_key(key.public_key) is None
    assert Project.count(project.pk, Project.sk == project.sk) == 0
    assert list(ProjectEnvironment.query(ProjectEnvironment.partition(project.id))) == []


def test_a_deleted_project_takes_its_alert_rules_and_plugins(
    world: World, base_url: str, http: requests.Session
) -> None:
    from shared.storage.alerts import rules_pk
    from shared.storage.issues import IssueItem

    api = f"{base_url}/api/0/projects/{world.org}/{world.project}"
    rule = {
        "name": "gone",
        "actionMatch": "all",
        "conditions": [{"id": "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"}],
        "actions": [
            {
                "id": "sentry.rules.actions.notify_event_service.NotifyEventServiceAction",
                "service": "webhooks",
            }
        ],
    }
    assert http.post(f"{api}/rules/", json=rule, headers=world.headers()).status_code == 201
    hooks = {"urls": "https://example.com/hook"}
    assert http.put(f"{api}/plugins/webhooks/", json=hooks, headers=world.headers()).status_code == 200
    project_id = project_of(world).id
    assert IssueItem.count(rules_pk(project_id)) == 2
    assert http.delete(f"{api}/", headers=world.headers()).status_code == 204
    run_worker_until_idle()
    assert IssueItem.count(rules_pk(project_id)) == 0


def test_a_deleted_project_leaves_its_releases(world: World, base_url: str, http: requests.Session) -> None:
    other = http.post(
        f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/",
        json={"name": "Other"},
        headers=world.headers(),
    ).json()["slug"]
    releases = f"{base_url}/api/0/organizations/{world.org}/releases/"
    for version, projects in (("shared-1", [world.project, other]), ("only-1", [world.project])):
        body = {"version": version, "projects": projects}
        assert http.post(releases, json=body, headers=world.headers()).status_code == 201

    project_url = f"{base_url}/api/0/projects/{world.org}/{world.project}/"
    assert http.delete(project_url, headers=world.headers()).status_code == 204
    run_worker_until_idle()

    shared = http.get(f"{releases}shared-1/", headers=world.headers())
    assert shared.status_code == 200, shared.text
    assert [p["slug"] for p in shared.json()["projects"]] == [other]
    assert [r["version"] for r in http.get(releases, headers=world.headers()).json()] == ["shared-1"]


def test_the_sweeper_resends_a_lost_project_job(world: World, base_url: str, http: requests.Session) -> None:
    project = project_of(world)
    group = populated_group(project, "left behind", world.owner_id)
    url = f"{base_url}/api/0/projects/{world.org}/{world.project}/"
    assert http.delete(url, headers=world.headers()).status_code == 204
    marker = ProjectDeletion.key(project.id)
    assert row_exists(marker)
    lost = [m for m in receive(wait_seconds=2) if "delete_project" in m["Body"]]
    assert len(lost) == 1
    acknowledge(lost)  # the job is lost

    sweep()  # not stuck yet: nothing is sent
    assert not any("delete_project" in m["Body"] for m in receive(wait_seconds=1, visibility=0))
    sweep(now=utcnow() + STUCK_AFTER + timedelta(minutes=1))
    run_worker_until_idle()

    assert Project.count(project.pk, Project.sk == project.sk) == 0
    assert partition(group.id) == []
    assert not row_exists(marker)


def test_only_admins_delete_projects(world: World, base_url: str, http: requests.Session) -> None:
    project = project_of(world)
    url = f"{base_url}/api/0/projects/{world.org}/{world.project}/"

    response = http.delete(url, headers=world.headers(_member_token(world)))

    assert response.status_code == 403
    assert _stored(project).status == "active"


def test_the_admin_cli_sets_the_discard_feature(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    project = project_of(world)
    argv = ["admin", "set-project-feature", "--org", world.org, "--project", world.project]

    assert main([*argv, "--feature", DISCARD_GROUPS]) == 0
    assert json.loads(capsys.readouterr().out) == {"project": world.project, "features": [DISCARD_GROUPS]}
    assert _stored(project).features == {DISCARD_GROUPS}

    assert main([*argv, "--feature", DISCARD_GROUPS, "--off"]) == 0
    assert _stored(project).features is None
    with pytest.raises(SystemExit):
        main([*argv, "--feature", "teleport"])


def test_a_deleted_project_takes_its_source_maps_and_leaves_those_another_project_uses(
    world: World, base_url: str, http: requests.Session
) -> None:
    from shared.artifacts.bundles import bundle_key
    from shared.config import settings
    from shared.storage.artifacts import (
        ArtifactBundle,
        ReleaseBundle,
        SourceFileIndex,
        debug_id_pk,
        release_bundles_pk,
        url_pk,
    )
    from shared.storage.objects import s3
    from tests.integration.test_artifact_uploads import small_bundle, upload_bundle
    from tests.integration.test_raw_frames import DEBUG_ID, minified_bundle

    other = http.post(
        f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/",
        json={"name": "Other"},
        headers=world.headers(),
    ).json()["slug"]
    project, kept = project_of(world), project_of(replace(world, project=other))
    only_mine = upload_bundle(base_url, world, small_bundle("~/only.js"))  # release 1.0, this project
    shared = upload_bundle(base_url, world, minified_bundle())
    assert upload_bundle(base_url, replace(world, project=other), minified_bundle()) == shared

    deleted = http.delete(f"{base_url}/api/0/projects/{world.org}/{world.project}/", headers=world.headers())
    assert deleted.status_code == 204, deleted.text
    run_worker_until_idle()

    def stored(checksum: str) -> ArtifactBundle | None:
        try:
            return ArtifactBundle.get(*ArtifactBundle.key(project.org_id, checksum), consistent_read=True)
        except ArtifactBundle.DoesNotExist:
            return None

    def object_exists(checksum: str) -> bool:
        key = bundle_key(project.org_id, checksum)
        listed = s3().list_objects_v2(Bucket=settings().artifacts_bucket, Prefix=key)
        return listed.get("KeyCount", 0) > 0

    assert stored(only_mine) is None and not object_exists(only_mine)
    assert SourceFileIndex.count(url_pk(project.id, "1.0", None)) == 0
    assert stored(shared).project_ids == {kept.id} and object_exists(shared)
    assert SourceFileIndex.count(debug_id_pk(project.id, DEBUG_ID)) == 0
    assert SourceFileIndex.get(debug_id_pk(kept.id, DEBUG_ID), "source_map").checksum == shared
    links = ReleaseBundle.query(release_bundles_pk(project.org_id, "1.0"))
    assert [link.checksum for link in links] == [shared]  # the release's page lists what is left
