"""Who the caller is comes from the container's memory while fresh: a warm call spends no request on
the token, organization and membership, and a revoked token, a removed member or a changed role
stops working once the memory's time (``AUTH_CACHE_SECONDS``, given to the API's environments)
has passed."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from local.metering import count_requests
from shared.accounts.organizations import add_member, find_organization
from shared.auth.tokens import hash_token
from shared.storage.accounts import ApiToken, OrganizationMember
from tests.conftest import World, make_user

TTL = 1.0


@pytest.fixture
def short_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's environments remember callers for one second (new environments start with it)."""
    monkeypatch.setenv("AUTH_CACHE_SECONDS", str(TTL))


def _projects(http, base_url: str, world: World, token: str):
    return http.get(f"{base_url}/api/0/organizations/{world.org}/projects/", headers=world.headers(token))


def _member(world: World, role: str) -> tuple[int, str]:
    org = find_organization(world.org)
    assert org is not None
    user_id, token = make_user()
    add_member(org, user_id, role)
    return user_id, token


def _after_ttl() -> None:
    time.sleep(TTL + 0.2)


def test_a_warm_call_spends_no_request_on_who_the_caller_is(
    http, base_url, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_CACHE_SECONDS", "0")
    _projects(http, base_url, world, world.token)  # an environment with this configuration is up
    with count_requests() as uncached:
        assert _projects(http, base_url, world, world.token).status_code == 200
    monkeypatch.setenv("AUTH_CACHE_SECONDS", "300")
    with count_requests() as first:
        first_body = _projects(http, base_url, world, world.token).json()
    with count_requests() as warm:
        warm_body = _projects(http, base_url, world, world.token).json()
    assert warm_body == first_body and [p["slug"] for p in warm_body] == [world.project]
    assert first == uncached  # the first call of a container pays the full cost
    assert uncached["GetItem"] - warm["GetItem"] == 3  # token, organization, membership
    assert warm + Counter(GetItem=3) == uncached  # nothing else changes


def test_a_revoked_token_stops_working_within_the_ttl(http, base_url, world: World, short_memory) -> None:
    _, token = _member(world, "owner")
    assert _projects(http, base_url, world, token).status_code == 200
    ApiToken.get(*ApiToken.key(hash_token(token))).delete()
    _after_ttl()
    revoked = _projects(http, base_url, world, token)
    assert revoked.status_code == 401 and revoked.json() == {"detail": "Invalid token"}


def test_a_removed_member_stops_seeing_the_organization_within_the_ttl(
    http, base_url, world: World, short_memory
) -> None:
    user_id, token = _member(world, "owner")
    assert [p["slug"] for p in _projects(http, base_url, world, token).json()] == [world.project]
    org = find_organization(world.org)
    OrganizationMember.get(*OrganizationMember.key(org.id, user_id)).delete()
    _after_ttl()
    removed = _projects(http, base_url, world, token)
    assert removed.status_code == 404 and "detail" in removed.json()


def test_a_changed_role_applies_within_the_ttl(http, base_url, world: World, short_memory) -> None:
    user_id, token = _member(world, "owner")
    assert [p["slug"] for p in _projects(http, base_url, world, token).json()] == [world.project]
    org = find_organization(world.org)
    member = OrganizationMember.get(*OrganizationMember.key(org.id, user_id))
    member.update(actions=[OrganizationMember.role.set("member")])  # no team: sees no project
    _after_ttl()
    demoted = _projects(http, base_url, world, token)
    assert demoted.status_code == 200 and demoted.json() == []


def test_a_refusal_is_not_remembered(http, base_url, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A member added after a refused call gets in at once: refusals are never remembered."""
    monkeypatch.setenv("AUTH_CACHE_SECONDS", "300")
    org = find_organization(world.org)
    user_id, token = make_user()
    assert _projects(http, base_url, world, token).status_code == 404  # not a member yet
    add_member(org, user_id, "owner")
    assert [p["slug"] for p in _projects(http, base_url, world, token).json()] == [world.project]
