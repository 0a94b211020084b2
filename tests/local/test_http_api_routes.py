"""The template's routes under HTTP API's matching rules: every URL sentry-cli and the SDKs send (Sentry's
URLs end in ``/``) reaches the function meant to serve it, a request AWS would not route is not routed
locally either, and each route keeps the stage's rate limit."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from local.gateway import HttpApi
from local.template import resources, routes

ORG = "/api/0/organizations/acme"
PROJECT = "/api/0/projects/acme/web"
RELEASE = f"{ORG}/releases/1.0%2Bbuild"

# (method, path as the client sends it) → the function that serves it
CLIENT_REQUESTS = {
    # sentry-cli
    ("GET", "/api/0/"): "AuthApiFunction",  # info, login
    ("POST", f"{ORG}/releases/"): "ReleaseApiFunction",  # releases new
    ("GET", f"{ORG}/releases/"): "ReleaseApiFunction",  # releases list
    ("GET", f"{PROJECT}/releases/"): "ReleaseApiFunction",  # releases list --project
    ("GET", f"{RELEASE}/"): "ReleaseApiFunction",  # releases info
    ("PUT", f"{RELEASE}/"): "ReleasePutFunction",  # releases finalize / set-commits
    ("DELETE", f"{RELEASE}/"): "ReleaseApiFunction",  # releases delete
    ("GET", f"{RELEASE}/commits/"): "ReleaseApiFunction",
    ("GET", f"{RELEASE}/previous-with-commits/"): "ReleaseApiFunction",  # set-commits --auto
    ("GET", f"{RELEASE}/commitfiles/"): "ReleaseApiFunction",
    ("POST", f"{RELEASE}/deploys/"): "ReleaseApiFunction",  # deploys new
    ("GET", f"{RELEASE}/deploys/"): "ReleaseApiFunction",  # deploys list
    ("GET", f"{ORG}/repos/"): "RepoApiFunction",  # repos list, set-commits
    ("POST", f"{ORG}/repos/"): "RepoApiFunction",
    ("GET", f"{PROJECT}/issues/"): "IssueApiFunction",  # issues list
    ("PUT", f"{PROJECT}/issues/"): "IssuePutFunction",  # issues resolve / mute / unresolve
    ("DELETE", f"{PROJECT}/issues/"): "IssuePutFunction",
    ("GET", f"{ORG}/issues/"): "IssueApiFunction",
    ("PUT", f"{ORG}/issues/"): "IssuePutFunction",
    ("DELETE", f"{ORG}/issues/"): "IssuePutFunction",
    ("GET", f"{ORG}/issues/123/"): "IssueApiFunction",
    ("PUT", f"{ORG}/issues/123/"): "IssuePutFunction",
    ("DELETE", f"{ORG}/issues/123/"): "IssuePutFunction",
    ("GET", "/api/0/issues/123/"): "IssueApiFunction",
    ("PUT", "/api/0/issues/123/"): "IssuePutFunction",
    ("DELETE", "/api/0/issues/123/"): "IssuePutFunction",
    ("GET", f"{ORG}/shortids/WEB-1/"): "IssueApiFunction",
    ("GET", f"{ORG}/projects/"): "ProjectApiFunction",  # projects list
    ("GET", f"{ORG}/teams/"): "ProjectApiFunction",
    ("POST", f"{ORG}/teams/"): "ProjectApiFunction",
    ("POST", "/api/0/teams/acme/backend/projects/"): "ProjectApiFunction",
    ("GET", f"{PROJECT}/"): "ProjectApiFunction",
    ("PUT", f"{PROJECT}/"): "ProjectApiFunction",
    ("DELETE", f"{PROJECT}/"): "ProjectApiFunction",
    ("GET", f"{PROJECT}/keys/"): "ProjectApiFunction",
    # sentry-cli send-event and the SDKs
    ("POST", "/api/42/envelope/"): "IngestFunction",
    ("POST", "/api/42/store/"): "IngestFunction",
    # the same API without the trailing slash (curl, hand-written clients), the docs and the pages
    ("GET", "/api/0"): "AuthApiFunction",
    ("PUT", RELEASE): "ReleasePutFunction",
    ("GET", f"{RELEASE}/deploys"): "ReleaseApiFunction",
    ("GET", f"{PROJECT}/issues"): "IssueApiFunction",
    ("POST", "/api/42/envelope"): "IngestFunction",
    ("GET", "/api/0/openapi.json"): "OpenApiFunction",
    ("GET", "/api/0/docs"): "OpenApiFunction",
    ("GET", "/"): "WebFunction",
    ("GET", "/assets/ui.js"): "WebFunction",
}


def _route(method: str, path: str) -> tuple[int, str | None, dict[str, Any] | None]:
    """Send one request through the local HTTP API: its status and the function and event it reached."""
    reached: list[tuple[str, dict[str, Any]]] = []

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        reached.append((function, event))
        return {"statusCode": 204}

    request = Request(EnvironBuilder(method=method, path=path).get_environ())
    request.environ["RAW_URI"] = path
    response = HttpApi().handle(request, invoke)
    function, event = reached[0] if reached else (None, None)
    return response.status_code, function, event


@pytest.mark.parametrize(("method", "path"), sorted(CLIENT_REQUESTS))
def test_each_client_request_reaches_its_function(method: str, path: str) -> None:
    status, function, event = _route(method, path)
    assert (status, function) == (204, CLIENT_REQUESTS[method, path])
    assert event is not None and event["rawPath"] == path  # the function routes on the path as sent


def test_a_trailing_slash_is_taken_by_the_greedy_sibling_route() -> None:
    _, _, event = _route("PUT", f"{RELEASE}/")
    assert event is not None
    assert event["routeKey"] == "PUT /api/0/organizations/{org}/releases/{version}/{proxy+}"
    assert event["pathParameters"] == {"org": "acme", "version": "1.0+build", "proxy": ""}
    _, _, exact = _route("PUT", RELEASE)
    assert exact is not None and exact["routeKey"] == "PUT /api/0/organizations/{org}/releases/{version}"


def test_routes_match_only_as_an_http_api_matches_them() -> None:
    by_key = {(r.method, r.path): r for r in routes()}
    exact = by_key["PUT", "/api/0/organizations/{org}/releases/{version}"]
    # no tolerance of a trailing slash, an empty variable or an extra segment
    for path in (f"{RELEASE}/", f"{ORG}/releases//", f"{RELEASE}/x"):
        assert not exact.pattern.match(path), path
    # the greedy variable takes the rest of the path, slashes included, or nothing
    greedy = by_key["PUT", "/api/0/organizations/{org}/releases/{version}/{proxy+}"]
    assert greedy.pattern.match(f"{RELEASE}/a/b/")["proxy"] == "a/b/"  # type: ignore[index]
    assert not greedy.pattern.match(RELEASE)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/0/"),  # a path served only for other methods: no 405 from an HTTP API
        ("PATCH", f"{ORG}/releases/"),
        ("GET", "/api"),
        ("GET", "/favicon.ico"),
        ("POST", "/api/42/"),
        ("GET", "/assets/ui.js/"),
    ],
)
def test_requests_no_route_takes_are_answered_by_the_api(method: str, path: str) -> None:
    request = Request(EnvironBuilder(method=method, path=path).get_environ())
    request.environ["RAW_URI"] = path
    response = HttpApi().handle(request, lambda function, event: pytest.fail(f"{function} invoked"))
    assert (response.status_code, response.json) == (404, {"message": "Not Found"})


def test_every_api_route_has_a_sibling_for_sentrys_trailing_slash() -> None:
    """HTTP API routes cannot end in ``/``, and ``/x`` does not match ``/x/``: each API route has a
    ``/x/{proxy+}`` sibling, same method, same function. Only the web page, its assets and the
    OpenAPI document (never asked for with a trailing slash) have none."""
    declared = {(r.method, r.path): r.function for r in routes()}
    for route in routes():
        if route.greedy or route.function in ("WebFunction", "OpenApiFunction"):
            continue
        sibling = (route.method, f"{route.path}/{{proxy+}}")
        assert declared.get(sibling) == route.function, route
    assert not [path for _, path in declared if path.endswith("/") and path != "/"]


def _throttle(settings: dict[str, Any] | None) -> tuple[Any, Any]:
    settings = settings or {}
    return settings.get("ThrottlingBurstLimit"), settings.get("ThrottlingRateLimit")


def test_each_route_keeps_the_stages_rate_limit() -> None:
    """HTTP APIs throttle per route: ``DefaultRouteSettings`` applies to every route, ``RouteSettings``
    overrides it per route key. A route and its trailing-slash sibling are throttled alike."""
    [api] = resources("AWS::Serverless::HttpApi").values()
    default = _throttle(api["DefaultRouteSettings"])
    assert all(value and value > 0 for value in default)
    overrides = {key: _throttle(value) for key, value in (api.get("RouteSettings") or {}).items()}
    assert set(overrides) <= {f"{r.method} {r.path}" for r in routes()}  # no setting for a missing route

    def limit(method: str, path: str) -> tuple[Any, Any]:
        return overrides.get(f"{method} {path}", default)

    for route in routes():
        if route.greedy:
            base = route.path.removesuffix("/{proxy+}")
            assert limit(route.method, route.path) == limit(route.method, base), route
