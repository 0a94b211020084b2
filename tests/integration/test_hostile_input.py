"""Input a generator rarely produces: each is a 4xx in Sentry's error shape (or a correct 2xx), never a
5xx, and a refusal writes nothing (every table is dumped before and after)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator

import pytest
import requests

from tests.conftest import World, events_processed, unique
from tests.integration import stored_items

NOT_FOUND = {"detail": "The requested resource does not exist"}
GATEWAY_NOT_FOUND = {"message": "Not Found"}  # an HTTP API's answer when no route matches
NOT_JSON = {"detail": "JSON parse error - the request body is not valid JSON."}


@pytest.fixture
def api(base_url: str, world: World) -> Iterator[Api]:
    yield Api(base_url, world)


class Api:
    def __init__(self, base_url: str, world: World) -> None:
        self.base_url, self.world = base_url, world
        self.org_url = f"{base_url}/api/0/organizations/{world.org}"

    def call(self, method: str, url: str, **kwargs) -> requests.Response:
        headers = {**self.world.headers(), **kwargs.pop("headers", {})}
        return requests.request(method, url, headers=headers, timeout=60, **kwargs)

    def refused(self, status: int, *makes: Callable[[], requests.Response]) -> list[dict]:
        """Each call answers ``status`` in Sentry's shape and none changes a stored item (compared
        once the events earlier tests sent are processed, so their writes are not taken for the
        calls'; the tables are read once before the calls and once after them all). Returns their
        bodies, in order."""
        events_processed(60)
        before = stored_items.dump()
        bodies = []
        for make in makes:
            response = make()
            assert response.status_code == status, (response.status_code, response.text[:500])
            body = response.json()
            assert isinstance(body, dict) and body, body
            bodies.append(body)
        assert stored_items.changes(before, stored_items.dump()) == {}
        return bodies

    def new(self, version: str, **fields: object) -> dict:
        return {"version": version, "projects": [self.world.project], **fields}

    def release(self) -> str:
        version = unique("hostile")
        created = self.call("POST", f"{self.org_url}/releases/", json=self.new(version))
        assert created.status_code == 201, created.text
        return version


def _nested(depth: int, opening: str, closing: str) -> bytes:
    return (opening * depth + closing * depth).encode()


@pytest.mark.parametrize(
    "body", [_nested(10_000, "[", "]"), _nested(10_000, '{"a":', "}").replace(b'{"a":}', b'{"a":1}')]
)
def test_deeply_nested_json_is_a_400(api: Api, body: bytes) -> None:
    calls = [
        lambda m=method, u=url: api.call(m, u, data=body, headers={"Content-Type": "application/json"})
        for method, url in (
            ("POST", f"{api.org_url}/releases/"),
            ("PUT", f"{api.org_url}/releases/{api.release()}/"),
            ("PUT", f"{api.base_url}/api/0/organizations/{api.world.org}/issues/?id=1"),
        )
    ]
    assert api.refused(400, *calls) == [NOT_JSON] * len(calls)


def test_a_10_mb_body_is_refused(api: Api) -> None:
    body = json.dumps(api.new(unique("big"), ref="x" * (10 * 1024 * 1024))).encode()
    [answer] = api.refused(400, lambda: api.call("POST", f"{api.org_url}/releases/", data=body))
    assert answer == {"ref": ["Ensure this field has no more than 200 characters."]}


def test_nul_bytes_and_invalid_utf8(api: Api) -> None:
    url = f"{api.org_url}/releases/"
    # A text body reaches the function as API Gateway passes it (invalid bytes replaced); an encoded
    # body arrives as its bytes, and bytes that are not UTF-8 are not JSON.
    invalid = gzip.compress(b'{"version": "caf\xe9", "projects": ["%s"]}' % api.world.project.encode())
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    assert api.refused(
        400,
        lambda: api.call("POST", url, json=api.new("a\x00b")),
        lambda: api.call("POST", url, data=invalid, headers=headers),
    ) == [{"version": ["Release with name a\x00b is not allowed"]}, NOT_JSON]
    calls = [
        lambda m=method, s=segment: api.call(m, f"{url}{s}/")
        for segment in ("a%00b", "caf%E9", "%FF%FE")
        for method in ("GET", "DELETE")
    ]
    assert api.refused(404, *calls) == [NOT_FOUND] * len(calls)


@pytest.mark.parametrize("segment", ["a%2Fb", "..", "%2E%2E", "a%252Fb", "%2e", "latest"])
def test_versions_with_slashes_dots_and_encodings(api: Api, segment: str) -> None:
    url = f"{api.org_url}/releases/{segment}/"
    # The client resolves a literal ".." before sending: the path left is the organization's, where
    # no PUT route exists, so the HTTP API itself answers that no route matched.
    missing = GATEWAY_NOT_FOUND if segment == ".." else NOT_FOUND
    put = lambda: api.call("PUT", url, json={"ref": "main"})  # noqa: E731
    got, put_answer = api.refused(404, lambda: api.call("GET", url), put)
    assert got in (NOT_FOUND, missing)
    assert put_answer == missing


@pytest.mark.parametrize("version", ["a/b", "..", ".", "latest", "a\\b", "a\nb", " ", ""])
def test_invalid_versions_are_refused_on_create(api: Api, version: str) -> None:
    [answer] = api.refused(400, lambda: api.call("POST", f"{api.org_url}/releases/", json=api.new(version)))
    assert list(answer) == ["version"]


@pytest.mark.parametrize("ident", ["9223372036854775808", "1" * 40, "-1", "1.5", "1e3", "0x10", "٣"])
def test_odd_issue_ids_in_paths_are_404(api: Api, ident: str) -> None:
    url = f"{api.base_url}/api/0/issues/{ident}/"
    calls = [
        lambda m=method: api.call(m, url, **({"json": {"status": "resolved"}} if m == "PUT" else {}))
        for method in ("GET", "PUT", "DELETE")
    ]
    assert api.refused(404, *calls) == [NOT_FOUND] * len(calls)


@pytest.mark.parametrize("ident", ["9223372036854775808", "1" * 40, "-5", "1.5", "abc"])
def test_odd_issue_ids_in_queries(api: Api, ident: str) -> None:
    url = f"{api.base_url}/api/0/projects/{api.world.org}/{api.world.project}/issues/?id={ident}"
    response = api.call("PUT", url, json={"status": "resolved"})
    assert response.status_code in (204, 400), response.text
    if response.status_code == 400:
        assert response.json() == {"id": ["Invalid id: must be an integer"]} or "id" in response.json()


def test_duplicate_query_keys(api: Api) -> None:
    url = f"{api.org_url}/releases/?status=open&status=archived&per_page=5&per_page=7&cursor=a&cursor=0:0:0"
    response = api.call("GET", url)
    assert response.status_code in (200, 400), response.text
    project = api.call("GET", f"{api.base_url}/api/0/projects/{api.world.org}/{api.world.project}/")
    project_id = project.json()["id"]
    issues = api.call("GET", f"{api.org_url}/issues/?project={project_id}&project={project_id}")
    assert issues.status_code == 200, issues.text


def test_a_thousand_duplicate_commits(api: Api) -> None:
    version = api.release()
    commit = {"id": "a" * 40, "message": "the same commit", "repository": "acme/dup"}
    response = api.call("PUT", f"{api.org_url}/releases/{version}/", json={"commits": [commit] * 1000})
    assert response.status_code == 200, response.text[:500]
    commits = api.call("GET", f"{api.org_url}/releases/{version}/commits/").json()
    assert [c["id"] for c in commits] == ["a" * 40]
    assert response.json()["commitCount"] == 1000  # Sentry counts the list as sent
