"""Repositories through the local API (HTTP → API Gateway event → handler → moto server)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import requests

from local.metering import count_requests
from shared.accounts.organizations import add_member, create_organization, find_organization
from shared.auth.tokens import create_org_token
from shared.config import settings
from shared.releases.repositories import get_or_create_repositories
from shared.storage.paging import encode_cursor
from shared.storage.releases import Repository
from tests.conftest import World, make_user, unique

_LINK = re.compile(
    r'<(?P<url>[^>]*)>; rel="(?P<rel>\w+)"; results="(?P<results>true|false)"; cursor="(?P<cursor>[^"]*)"'
)


def _url(base_url: str, world: World) -> str:
    return f"{base_url}/api/0/organizations/{world.org}/repos/"


def _links(response: requests.Response) -> dict[str, dict[str, str]]:
    """The ``Link`` header by ``rel``, parsed the way sentry-cli does."""
    return {m["rel"]: m.groupdict() for m in _LINK.finditer(response.headers["Link"])}


def _names(http: requests.Session, base_url: str, world: World) -> list[str]:
    response = http.get(_url(base_url, world), headers=world.headers())
    assert response.status_code == 200, response.text
    return [r["name"] for r in response.json()]


def _page(http: requests.Session, base_url: str, world: World, cursor: str) -> requests.Response:
    response = http.get(
        _url(base_url, world), params={"per_page": 2, "cursor": cursor}, headers=world.headers()
    )
    assert response.status_code == 200, response.text
    return response


def _page_names(response: requests.Response) -> list[str]:
    return [r["name"] for r in response.json()]


def test_create_and_list_a_repository(http, base_url, world: World) -> None:
    body = {
        "name": "acme/backend",
        "url": "https://github.com/acme/backend",
        "provider": "integrations:github",
    }
    created = http.post(_url(base_url, world), json=body, headers=world.headers())
    assert created.status_code == 201, created.text
    repo = created.json()
    assert repo["id"].isdigit() and repo["name"] == "acme/backend"
    assert repo["url"] == "https://github.com/acme/backend"
    assert repo["provider"] == {"id": "integrations:github", "name": "GitHub"}
    assert repo["status"] == "active" and repo["dateCreated"].endswith("Z")
    assert repo["integrationId"] is None

    bare = http.post(_url(base_url, world), json={"name": "  acme/web  "}, headers=world.headers()).json()
    assert bare["name"] == "acme/web" and bare["url"] is None
    assert bare["provider"] == {"id": "unknown", "name": "Unknown Provider"}

    listed = http.get(_url(base_url, world) + "?cursor=", headers=world.headers())
    assert listed.status_code == 200 and listed.headers["Content-Type"].startswith("application/json")
    assert listed.json() == [repo, bare]  # by name, as Sentry lists them
    links = _links(listed)
    assert links["previous"]["results"] == "false" and links["next"]["results"] == "false"


def test_duplicate_name_is_409(http, base_url, world: World) -> None:
    assert http.post(_url(base_url, world), json={"name": "dup"}, headers=world.headers()).status_code == 201
    again = http.post(
        _url(base_url, world), json={"name": "dup", "url": "https://x.org"}, headers=world.headers()
    )
    assert again.status_code == 409
    assert again.json() == {"detail": "A repository with that name already exists"}
    assert _names(http, base_url, world) == ["dup"]


def test_bad_body_is_400_and_writes_nothing(http, base_url, world: World) -> None:
    cases = [
        ({}, {"name": ["This field is required."]}),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({"name": "   "}, {"name": ["This field may not be blank."]}),
        ({"name": "x" * 201}, {"name": ["Ensure this field has no more than 200 characters."]}),
        ({"name": 5}, {"name": ["Not a valid string."]}),
        ({"name": "ok", "url": "not a url"}, {"url": ["Enter a valid URL."]}),
        ({"name": "ok", "url": "example.com/repo"}, {"url": ["Enter a valid URL."]}),
        (
            {"name": "ok", "url": "https://x.org/" + "a" * 200},
            {"url": ["Ensure this field has no more than 200 characters."]},
        ),
        (
            {"name": "ok", "provider": "p" * 65},
            {"provider": ["Ensure this field has no more than 64 characters."]},
        ),
    ]
    for payload, expected in cases:
        response = http.post(_url(base_url, world), json=payload, headers=world.headers())
        assert response.status_code == 400, (payload, response.text)
        assert response.json() == expected, payload
    bad_json = http.post(
        _url(base_url, world), data="{nope", headers={**world.headers(), "Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and "detail" in bad_json.json()
    assert _names(http, base_url, world) == []


def test_pages_follow_the_link_header_both_ways(http, base_url, world: World) -> None:
    names = ["repo-c", "repo-a", "repo-e", "repo-b", "repo-d"]
    url = _url(base_url, world)
    assert all(http.post(url, json={"name": n}, headers=world.headers()).status_code == 201 for n in names)

    responses = [_page(http, base_url, world, "")]
    while _links(responses[-1])["next"]["results"] == "true":  # what sentry-cli does
        responses.append(_page(http, base_url, world, _links(responses[-1])["next"]["cursor"]))
    assert [_page_names(r) for r in responses] == [["repo-a", "repo-b"], ["repo-c", "repo-d"], ["repo-e"]]

    first, middle, last = (_links(r) for r in responses)
    assert first["previous"]["results"] == "false"
    assert middle["previous"]["results"] == "true" and last["previous"]["results"] == "true"
    path = f"/api/0/organizations/{world.org}/repos/"
    cursor = middle["next"]["cursor"]
    assert middle["next"]["url"] == f"{settings().public_url}{path}?per_page=2&cursor={cursor}"
    assert _page_names(http.get(middle["next"]["url"], headers=world.headers())) == ["repo-e"]

    # Walking back from the last page gives the same pages, and the first one has no previous.
    back = _page(http, base_url, world, last["previous"]["cursor"])
    assert _page_names(back) == ["repo-c", "repo-d"]
    start = _page(http, base_url, world, _links(back)["previous"]["cursor"])
    assert _page_names(start) == ["repo-a", "repo-b"]
    assert _links(start)["previous"]["results"] == "false" and _links(start)["next"]["results"] == "true"
    assert _page_names(_page(http, base_url, world, _links(start)["next"]["cursor"])) == ["repo-c", "repo-d"]

    # A page that ends exactly at the last item says there is nothing more.
    exact = http.get(_url(base_url, world), params={"per_page": 5}, headers=world.headers())
    assert len(exact.json()) == 5 and _links(exact)["next"]["results"] == "false"
    default = http.get(_url(base_url, world), headers=world.headers())
    assert _page_names(default) == sorted(names)


def test_list_costs_one_query_per_page(http, base_url, world: World) -> None:
    for name in ("one", "two", "three"):
        http.post(_url(base_url, world), json={"name": name}, headers=world.headers())
    with count_requests() as first:
        response = _page(http, base_url, world, "")
    assert first == {"GetItem": 3, "Query": 1}  # token, organization, member; one page
    with count_requests() as second:
        _page(http, base_url, world, _links(response)["next"]["cursor"])
    assert second == {"GetItem": 3, "Query": 1}


def test_create_cost_in_requests(http, base_url, world: World) -> None:
    with count_requests() as calls:
        created = http.post(_url(base_url, world), json={"name": "counted"}, headers=world.headers())
    assert created.status_code == 201
    # token, organization, member; one id from the sequence; one conditional put
    assert calls == {"GetItem": 3, "UpdateItem": 1, "PutItem": 1}


def test_bad_paging_parameters_are_400(http, base_url, world: World) -> None:
    cases = [
        ({"per_page": "0"}, "Invalid per_page value. Must be between 1 and 100."),
        ({"per_page": "101"}, "Invalid per_page value. Must be between 1 and 100."),
        ({"per_page": "many"}, "Invalid per_page parameter."),
        ({"cursor": "garbage"}, "Invalid cursor parameter."),
        # a well-formed cursor into another organization's partition
        (
            {"cursor": encode_cursor({"pk": {"S": "ORG#1"}, "sk": {"S": "REPO#secret"}})},
            "Invalid cursor parameter.",
        ),
    ]
    for params, detail in cases:
        response = http.get(_url(base_url, world), params=params, headers=world.headers())
        assert response.status_code == 400, params
        assert response.json() == {"detail": detail}


def test_authentication_visibility_and_scopes(http, base_url, world: World) -> None:
    url = _url(base_url, world)
    assert http.get(url).status_code == 401
    assert http.post(url, json={"name": "x"}).status_code == 401
    assert http.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401

    # Not a member, or another organization's token: 404, never 403.
    _, stranger = make_user()
    assert http.get(url, headers=world.headers(stranger)).status_code == 404
    assert http.post(url, json={"name": "x"}, headers=world.headers(stranger)).status_code == 404
    other = create_organization("Other Org", unique("other"))
    other_token = create_org_token(other.id, other.slug)
    assert http.get(url, headers=world.headers(other_token)).status_code == 404
    other_url = f"{base_url}/api/0/organizations/{other.slug}/repos/"
    assert http.get(other_url, headers=world.headers()).status_code == 404

    # The organization's own token (org:ci) and a plain member (org:read) may list, not add.
    http.post(url, json={"name": "acme/app"}, headers=world.headers())
    org = find_organization(world.org)
    org_token = create_org_token(org.id, org.slug)
    listed = http.get(url, headers=world.headers(org_token))
    assert listed.status_code == 200 and [r["name"] for r in listed.json()] == ["acme/app"]
    assert http.post(url, json={"name": "x"}, headers=world.headers(org_token)).status_code == 403
    member_id, member_token = make_user()
    add_member(find_organization(world.org), member_id, "member")
    assert http.get(url, headers=world.headers(member_token)).status_code == 200
    assert http.post(url, json={"name": "x"}, headers=world.headers(member_token)).status_code == 403

    # An admin has org:integrations; a token without any repository scope gets 403.
    admin_id, admin_token = make_user()
    add_member(find_organization(world.org), admin_id, "admin")
    assert http.post(url, json={"name": "acme/admin"}, headers=world.headers(admin_token)).status_code == 201
    narrow_id, narrow_token = make_user({"project:read"})
    add_member(find_organization(world.org), narrow_id, "owner")
    assert http.get(url, headers=world.headers(narrow_token)).status_code == 403
    assert _names(http, base_url, world) == ["acme/admin", "acme/app"]


def test_get_or_create_repositories(world: World) -> None:
    org_id = find_organization(world.org).id
    existing = get_or_create_repositories(org_id, ["acme/old"])["acme/old"]
    with count_requests() as calls:
        found = get_or_create_repositories(org_id, ["acme/new-1", "acme/old", "acme/new-2", "acme/new-1"])
    assert calls == {"BatchGetItem": 1, "UpdateItem": 1, "PutItem": 2}
    assert set(found) == {"acme/old", "acme/new-1", "acme/new-2"}
    assert found["acme/old"].id == existing.id
    assert len({r.id for r in found.values()}) == 3

    with count_requests() as again:
        assert {n: r.id for n, r in get_or_create_repositories(org_id, list(found)).items()} == {
            n: r.id for n, r in found.items()
        }
    assert again == {"BatchGetItem": 1}
    assert get_or_create_repositories(org_id, []) == {}


def test_concurrent_get_or_create_agree_on_ids(world: World) -> None:
    org_id = find_organization(world.org).id
    names = [f"acme/race-{i}" for i in range(5)]
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: get_or_create_repositories(org_id, names), range(10)))
    ids = {name: {r[name].id for r in results} for name in names}
    assert all(len(v) == 1 for v in ids.values()), ids
    pk, prefix = Repository.key(org_id, "")
    stored = Repository.query(pk, Repository.sk.startswith(prefix), consistent_read=True)
    assert sorted(r.name for r in stored if r.name.startswith("acme/race-")) == names
