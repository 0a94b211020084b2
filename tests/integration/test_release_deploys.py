"""Deploys of a release through the local API: create, list, what the release shows, validation."""

from __future__ import annotations

import pytest

from local.metering import count_requests
from shared.accounts.organizations import find_organization
from shared.storage.releases import ReleaseItem, release_pk
from tests.conftest import World, unique
from tests.integration.test_releases_api import Api


@pytest.fixture
def api(http, base_url, world) -> Api:
    return Api(http, base_url, world)


def _deploys_url(api: Api, version: str) -> str:
    return api.release_url(version) + "deploys/"


def _post(api: Api, version: str, body: dict):
    return api.http.post(_deploys_url(api, version), json=body, headers=api.world.headers())


def _release_rows(world: World, version: str) -> list[str]:
    org_id = find_organization(world.org).id
    return sorted(row.sk for row in ReleaseItem.query(release_pk(org_id, version)))


def test_a_deploy_is_recorded_counted_and_listed(api: Api) -> None:
    version = unique("d")
    api.create(version)
    with count_requests() as calls:
        response = _post(
            api,
            version,
            {
                "environment": "production",
                "name": "blue",
                "url": "https://example.com/deploys/1",
                "dateStarted": "2026-11-01T10:00:00Z",
                "dateFinished": "2026-11-01T10:05:00.123456789Z",
            },
        )
    assert response.status_code == 201, response.text
    deploy = response.json()
    assert deploy == {
        "id": deploy["id"],
        "environment": "production",
        "dateStarted": "2026-11-01T10:00:00Z",
        "dateFinished": "2026-11-01T10:05:00.123456Z",
        "name": "blue",
        "url": "https://example.com/deploys/1",
    }
    # token, org, member, release | projects query | id block | one transaction (deploy, release, env)
    # | its notification queued
    assert calls == {"GetItem": 4, "Query": 1, "UpdateItem": 1, "TransactWriteItems": 1, "SendMessage": 1}

    second = _post(api, version, {"environment": "production"}).json()
    staging = _post(api, version, {"environment": "staging", "name": ""}).json()
    assert second["dateFinished"] and second["name"] is None and staging["name"] is None
    release = api.get(version).json()
    assert release["deployCount"] == 3 and release["lastDeploy"] == staging

    listed = api.http.get(_deploys_url(api, version), headers=api.world.headers())
    assert listed.status_code == 200
    # the newest deploy of each environment, newest finished first (Sentry's list)
    assert [d["id"] for d in listed.json()] == [staging["id"], second["id"]]
    project_id = release["projects"][0]["id"]
    only = api.http.get(
        _deploys_url(api, version), params={"project": project_id}, headers=api.world.headers()
    )
    assert len(only.json()) == 2
    bad = api.http.get(_deploys_url(api, version), params={"project": "x"}, headers=api.world.headers())
    assert bad.status_code == 400 and bad.json() == {"project": ["A valid integer is required."]}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, {"environment": ["This field is required."]}),
        ({"environment": "prod/eu"}, {"environment": ["Invalid value for environment"]}),
        ({"environment": "a\nb"}, {"environment": ["Invalid value for environment"]}),
        ({"environment": ""}, {"environment": ["This field may not be blank."]}),
        ({"environment": "e" * 65}, {"environment": ["Ensure this field has no more than 64 characters."]}),
        ({"environment": "prod", "url": "not a url"}, {"url": ["Enter a valid URL."]}),
        ({"environment": "prod", "projects": []}, {"projects": ["This list may not be empty."]}),
        ({"environment": "prod", "projects": ["nope"]}, {"projects": ["Invalid project ids or slugs"]}),
        (
            {"environment": "prod", "dateFinished": 12},
            {
                "dateFinished": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
    ],
)
def test_bad_deploys_are_refused_and_write_nothing(api: Api, body: dict, error: dict) -> None:
    version = unique("bad")
    api.create(version)
    before = _release_rows(api.world, version)
    response = _post(api, version, body)
    assert response.status_code == 400, response.text
    assert response.json() == error
    assert _release_rows(api.world, version) == before
    assert api.get(version).json()["deployCount"] == 0


def test_deploy_to_a_project_outside_the_release_is_400(api: Api, http, base_url) -> None:
    other = http.post(
        f"{base_url}/api/0/teams/{api.world.org}/{api.world.team}/projects/",
        json={"name": unique("other")},
        headers=api.world.headers(),
    ).json()
    version = unique("out")
    api.create(version)
    response = _post(api, version, {"environment": "prod", "projects": [other["slug"]]})
    assert response.status_code == 400
    assert response.json() == {"detail": f"Invalid projects ({other['slug']}) for release {version}"}
    assert not [sk for sk in _release_rows(api.world, version) if sk.startswith(("DEPLOY#", "ENV#"))]


def test_deploys_of_a_missing_release_are_404(api: Api) -> None:
    missing = unique("missing")
    response = _post(api, missing, {"environment": "prod"})
    assert response.status_code == 404
    assert response.json() == {"detail": "The requested resource does not exist"}
    listed = api.http.get(_deploys_url(api, missing), headers=api.world.headers())
    assert listed.status_code == 404
