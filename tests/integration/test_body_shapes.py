"""A JSON body that is not an object is refused with Django REST framework's message and changes
nothing, whatever its first element (powertools would otherwise validate an array's first element
as the body)."""

from __future__ import annotations

import pytest
import requests

from shared.issues.enums import GroupStatus
from tests.conftest import World
from tests.integration.test_issue_update import IssuesApi, stored


@pytest.fixture
def api(http, base_url, world) -> IssuesApi:
    return IssuesApi(http, base_url, world)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ('[{"status": "resolved"}]', "list"),
        ("[null, null]", "list"),
        ("[]", "list"),
        ('"resolved"', "str"),
        ("3", "int"),
        ("true", "bool"),
    ],
)
def test_an_issue_update_that_is_not_an_object_is_refused(api: IssuesApi, body: str, kind: str) -> None:
    group = api.group()
    response = api.http.put(
        api.url(group), data=body, headers={**api.world.headers(), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
    assert stored(group).status == GroupStatus.UNRESOLVED


def test_a_release_created_from_a_list_is_refused(base_url: str, world: World) -> None:
    url = f"{base_url}/api/0/organizations/{world.org}/releases/"
    body = [{"version": "listed-1.0", "projects": [world.project]}]
    response = requests.post(url, json=body, headers=world.headers())
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    assert requests.get(f"{url}listed-1.0/", headers=world.headers()).status_code == 404


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"status": "ignored", "ignoreCount": False}, {"ignoreCount": ["A valid integer is required."]}),
        ({"ignoreDuration": True}, {"ignoreDuration": ["A valid integer is required."]}),
        ({"snoozeDuration": True}, {"snoozeDuration": ["A valid integer is required."]}),
        ({"assignedTo": False}, {"assignedTo": ["Unable to resolve actor identifier"]}),
    ],
)
def test_booleans_are_not_numbers_in_an_issue_update(api: IssuesApi, body: dict, errors: dict) -> None:
    group = api.group()
    response = api.put(group, body)
    assert (response.status_code, response.json()) == (400, errors)
    assert stored(group).status == GroupStatus.UNRESOLVED


def test_project_features_may_not_be_null(base_url: str, world: World) -> None:
    url = f"{base_url}/api/0/projects/{world.org}/{world.project}/"
    response = requests.put(url, json={"features": None}, headers=world.headers())
    assert (response.status_code, response.json()) == (400, {"features": ["This field may not be null."]})
    assert requests.put(url, json={"features": []}, headers=world.headers()).status_code == 200
