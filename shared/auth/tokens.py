"""API tokens in Sentry's two formats, stored as SHA-256 hashes so a leaked table leaks no token.

* user tokens: ``sntryu_`` + 64 hex characters, scopes chosen at creation;
* organization tokens: ``sntrys_<base64 JSON>_<base64 secret>``; sentry-cli reads the JSON payload
  and connects to the ``url`` and organization it names, so the payload must carry this server's
  public URL and the organization's slug.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time

from pynamodb.exceptions import DoesNotExist

from shared.auth.scopes import ALL_SCOPES
from shared.errors import ValidationFailed
from shared.public_url import public_url
from shared.storage.accounts import ApiToken

USER_TOKEN_PREFIX = "sntryu_"
ORG_TOKEN_PREFIX = "sntrys_"
ORG_TOKEN_SCOPES = frozenset({"org:ci"})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _org_token_text(org_slug: str) -> str:
    payload = {
        "iat": time.time(),
        "url": public_url(),
        "region_url": public_url(),
        "org": org_slug,
    }
    encoded = base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")
    secret = base64.b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
    return f"{ORG_TOKEN_PREFIX}{encoded}_{secret}"


def _store(token: str, **attributes: object) -> ApiToken:
    pk, sk = ApiToken.key(hash_token(token))
    item = ApiToken(pk=pk, sk=sk, token_last_characters=token[-4:], **attributes)
    item.save(condition=ApiToken.pk.does_not_exist())
    return item


def create_user_token(user_id: int, scopes: set[str], name: str = "") -> str:
    """Create a user token with ``scopes``; returns the clear text, which is shown once only."""
    unknown = set(scopes) - ALL_SCOPES
    if unknown or not scopes:
        raise ValidationFailed({"scopes": [f"Invalid scopes: {', '.join(sorted(unknown)) or '(none)'}"]})
    token = USER_TOKEN_PREFIX + secrets.token_hex(32)
    _store(token, token_kind="user", user_id=user_id, scopes=set(scopes), name=name)
    return token


def create_org_token(org_id: int, org_slug: str, name: str = "") -> str:
    """Create an organization token (scope ``org:ci``) embedding this server's URL and the org slug."""
    token = _org_token_text(org_slug)
    _store(token, token_kind="org", org_id=org_id, scopes=set(ORG_TOKEN_SCOPES), name=name)
    return token


def find_token(token: str) -> ApiToken | None:
    """The stored token for this clear text, or ``None``: one GetItem on the hash."""
    try:
        return ApiToken.get(*ApiToken.key(hash_token(token)))
    except DoesNotExist:
        return None
