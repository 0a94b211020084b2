"""The security headers of the API's answers, as a browser receives them through the local API."""

from __future__ import annotations

import base64
import hashlib
import re

import requests

from shared.accounts.organizations import find_organization
from shared.storage.accounts import Project
from tests.conftest import World


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def test_the_api_docs_page_allows_only_its_own_scripts_and_no_framing(
    http: requests.Session, base_url: str
) -> None:
    page = http.get(f"{base_url}/api/0/docs")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    policy = _policy(page.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"] and policy["default-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    # exactly the page's inline scripts may run: their hashes, no 'unsafe-inline', no other origin
    scripts = re.findall(r"<script>(.*?)</script>", page.content.decode(), re.DOTALL)
    assert len(scripts) == 2  # Swagger UI's bundle and the code that starts it
    digests = (base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts)
    hashes = {f"'sha256-{digest}'" for digest in digests}
    assert set(policy["script-src"]) == hashes


def test_json_answers_are_never_cached_or_sniffed(
    http: requests.Session, base_url: str, world: World
) -> None:
    keys = http.get(f"{base_url}/api/0/projects/{world.org}/{world.project}/keys/", headers=world.headers())
    assert keys.status_code == 200 and keys.json()[0]["dsn"]["secret"]
    refused = http.get(f"{base_url}/api/0/projects/{world.org}/{world.project}/keys/")
    anonymous = {"detail": "Authentication credentials were not provided."}
    assert (refused.status_code, refused.json()) == (401, anonymous)
    document = http.get(f"{base_url}/api/0/openapi.json")
    assert document.status_code == 200
    org = find_organization(world.org)
    assert org is not None
    project_id = Project.get(*Project.key(org.id, world.project)).id
    ingest = http.post(f"{base_url}/api/{project_id}/store/", data=b"{}")
    assert ingest.status_code == 401
    for answer in (keys, refused, document, ingest):
        assert answer.headers["Content-Type"].startswith("application/json"), answer.url
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.url
        assert answer.headers["Cache-Control"] == "no-store", answer.url
