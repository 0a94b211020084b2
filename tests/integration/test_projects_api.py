"""Teams and projects through the local API (HTTP → API Gateway event → handler → moto server)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from local.metering import count_requests
from shared.accounts.organizations import add_member, find_organization
from shared.auth.scopes import ROLE_SCOPES
from shared.snowflake import decode
from tests.conftest import World, make_user


def _projects(http: requests.Session, base_url: str, world: World) -> list[dict]:
    response = http.get(f"{base_url}/api/0/organizations/{world.org}/projects/", headers=world.headers())
    assert response.status_code == 200
    return response.json()


def test_create_read_and_list_a_project(http, base_url, world: World) -> None:
    url = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"
    created = http.post(url, json={"name": "Payments API", "platform": "python"}, headers=world.headers())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["slug"] == "payments-api" and body["name"] == "Payments API"
    assert body["platform"] == "python"
    assert [t["slug"] for t in body["teams"]] == [world.team]
    assert body["organization"]["slug"] == world.org
    assert decode(int(body["id"])).version == 16
    assert created.headers["Content-Type"].startswith("application/json")

    fetched = http.get(f"{base_url}/api/0/projects/{world.org}/payments-api/", headers=world.headers())
    assert fetched.status_code == 200 and fetched.json()["id"] == body["id"]
    assert {p["slug"] for p in _projects(http, base_url, world)} == {world.project, "payments-api"}


def test_project_creation_cost_in_requests(http, base_url, world: World) -> None:
    url = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"
    with count_requests() as calls:
        assert http.post(url, json={"name": "Counted"}, headers=world.headers()).status_code == 201
    # token, org, member, team, snowflake counter, one transaction (project + id pointer), then the
    # default DSN key: its id counter and one transaction (key + listing pointer), then the default
    # alert rule: its id counter and its item. When other writers (the suite's other worker) took the
    # second's snowflake slots, the project's id borrows an earlier second: one BatchGetItem of the
    # earlier seconds' counters and one UpdateItem more (shared/snowflake.py).
    borrowed = calls.pop("BatchGetItem", 0)
    assert borrowed in (0, 1)
    assert calls == {"GetItem": 4, "UpdateItem": 3 + borrowed, "TransactWriteItems": 2, "PutItem": 1}


def test_same_name_gets_a_suffixed_slug_and_explicit_slug_conflict_is_409(http, base_url, world) -> None:
    url = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"
    first = http.post(url, json={"name": "Dup"}, headers=world.headers()).json()
    second = http.post(url, json={"name": "Dup"}, headers=world.headers()).json()
    assert first["slug"] == "dup"
    assert second["slug"].startswith("dup-") and len(second["slug"]) == len("dup-xx")
    conflict = http.post(url, json={"name": "Other", "slug": "dup"}, headers=world.headers())
    assert conflict.status_code == 409
    assert conflict.json() == {"detail": "A project with this slug already exists."}


def test_twenty_concurrent_creates_with_one_name(base_url, world: World) -> None:
    url = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"

    def create(_: int) -> requests.Response:
        return requests.post(url, json={"name": "Same Name"}, headers=world.headers())

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(create, range(20)))
    assert [r.status_code for r in responses] == [201] * 20
    slugs = {r.json()["slug"] for r in responses}
    ids = {r.json()["id"] for r in responses}
    assert len(slugs) == 20 and len(ids) == 20
    assert "same-name" in slugs


def test_reserved_name_gets_a_random_slug(http, base_url, world: World) -> None:
    url = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"
    body = http.post(url, json={"name": "Settings"}, headers=world.headers()).json()
    assert body["slug"] != "settings" and len(body["slug"]) == 12
    reserved = http.post(url, json={"name": "X", "slug": "settings"}, headers=world.headers())
    assert reserved.status_code == 400 and "slug" in reserved.json()


def test_bad_input_is_400_with_field_errors_and_writes_nothing(http, base_url, world: World) -> None:
    url = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"
    before = _projects(http, base_url, world)
    cases = [
        ({}, {"name": ["This field is required."]}),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({"name": "   "}, {"name": ["This field may not be blank."]}),
        ({"name": "x" * 51}, {"name": ["Ensure this field has no more than 50 characters."]}),
        ({"name": 5}, {"name": ["Not a valid string."]}),
        ({"name": "ok", "slug": "Not A Slug"}, None),
        ({"name": "ok", "slug": "123"}, None),
    ]
    for payload, expected in cases:
        response = http.post(url, json=payload, headers=world.headers())
        assert response.status_code == 400, (payload, response.text)
        if expected is not None:
            assert response.json() == expected
        else:
            assert list(response.json()) == ["slug"]
    bad_json = http.post(url, data="{nope", headers={**world.headers(), "Content-Type": "application/json"})
    assert bad_json.status_code == 400 and "detail" in bad_json.json()
    assert _projects(http, base_url, world) == before


def test_authentication_and_visibility(http, base_url, world: World) -> None:
    project_url = f"{base_url}/api/0/projects/{world.org}/{world.project}/"
    assert http.get(project_url).status_code == 401
    assert http.get(project_url, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert http.get(project_url, headers={"Authorization": "Basic abc"}).status_code == 401

    # A user who is not a member sees nothing: 404, never 403.
    _, stranger = make_user()
    assert http.get(project_url, headers=world.headers(stranger)).status_code == 404
    org_url = f"{base_url}/api/0/organizations/{world.org}/projects/"
    assert http.get(org_url, headers=world.headers(stranger)).status_code == 404

    # A plain member outside the project's team: the org is visible, the project is not.
    member_id, member_token = make_user()
    add_member(find_organization(world.org), member_id, "member")
    assert http.get(org_url, headers=world.headers(member_token)).json() == []
    assert http.get(project_url, headers=world.headers(member_token)).status_code == 404

    # A token without a write scope may read but not create: 403.
    reader_id, reader_token = make_user({"project:read", "org:read", "team:read"})
    add_member(find_organization(world.org), reader_id, "owner")
    assert http.get(project_url, headers=world.headers(reader_token)).status_code == 200
    create_url = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"
    forbidden = http.post(create_url, json={"name": "Nope"}, headers=world.headers(reader_token))
    assert forbidden.status_code == 403


def test_teams_list_and_create(http, base_url, world: World) -> None:
    url = f"{base_url}/api/0/organizations/{world.org}/teams/"
    created = http.post(url, json={"name": "Mobile Team"}, headers=world.headers())
    assert created.status_code == 201 and created.json()["slug"] == "mobile-team"
    assert http.post(url, json={"slug": "mobile-team"}, headers=world.headers()).status_code == 409
    assert http.post(url, json={}, headers=world.headers()).status_code == 400
    listed = http.get(url, headers=world.headers()).json()
    assert {t["slug"] for t in listed} == {world.team, "mobile-team"}
    assert all(t["isMember"] for t in listed)  # the creator joined both teams
    # The new team can own projects at once.
    project_url = f"{base_url}/api/0/teams/{world.org}/mobile-team/projects/"
    assert http.post(project_url, json={"name": "iOS"}, headers=world.headers()).status_code == 201


def test_member_role_narrows_token_scopes(http, base_url, world: World) -> None:
    member_id, member_token = make_user(set(ROLE_SCOPES["owner"]))
    add_member(find_organization(world.org), member_id, "member")
    url = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"
    # members lack project:write whatever their token says
    assert http.post(url, json={"name": "Nope"}, headers=world.headers(member_token)).status_code == 403
