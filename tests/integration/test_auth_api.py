"""``GET /api/0/`` and the two token formats."""

from __future__ import annotations

import base64
import json

from shared.accounts.organizations import find_organization
from shared.auth.tokens import create_org_token, hash_token
from shared.config import settings
from shared.storage.accounts import ApiToken
from tests.conftest import World


def test_whoami_with_user_token(http, base_url, world: World) -> None:
    body = http.get(f"{base_url}/api/0/", headers=world.headers()).json()
    assert body["user"]["id"] == str(world.owner_id)
    assert "@" in body["user"]["email"]
    assert "project:releases" in body["auth"]["scopes"]


def test_whoami_anonymous_and_bad_token(http, base_url) -> None:
    assert http.get(f"{base_url}/api/0/").json() == {"user": None, "auth": None}
    bad = http.get(f"{base_url}/api/0/", headers={"Authorization": "Bearer sntryu_" + "0" * 64})
    assert bad.status_code == 401 and bad.json() == {"detail": "Invalid token"}


def test_user_tokens_are_stored_only_as_hashes(world: World) -> None:
    assert world.token.startswith("sntryu_") and len(world.token) == 7 + 64
    stored = ApiToken.get(*ApiToken.key(hash_token(world.token)))
    assert world.token not in repr(stored.serialize())
    assert stored.token_last_characters == world.token[-4:]


def test_org_token_embeds_url_and_org_and_reaches_only_its_org(http, base_url, world: World) -> None:
    org = find_organization(world.org)
    token = create_org_token(org.id, org.slug)
    prefix, payload, secret = token.split("_", 2)
    assert prefix == "sntrys"
    claims = json.loads(base64.b64decode(payload))
    assert claims["org"] == world.org and claims["url"] == settings().public_url
    assert len(base64.b64decode(secret + "=" * (-len(secret) % 4))) == 32

    headers = {"Authorization": f"Bearer {token}"}
    whoami = http.get(f"{base_url}/api/0/", headers=headers).json()
    assert whoami == {"user": None, "auth": {"scopes": ["org:ci"]}}
    # org:ci reaches releases, not project administration
    projects = http.get(f"{base_url}/api/0/organizations/{world.org}/projects/", headers=headers)
    assert projects.status_code == 403
    other = http.get(f"{base_url}/api/0/organizations/not-{world.org}/projects/", headers=headers)
    assert other.status_code == 404
