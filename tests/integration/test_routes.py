"""The template, the handlers and the OpenAPI document describe the same API."""

from __future__ import annotations

import importlib
import json

from local.template import routes

SWAGGER = {"/api/0/openapi.json", "/api/0/docs"}
WEB_PAGES = {"/", "/assets/{asset}"}  # the web pages' files, served beside the API's resolvers


def _operations(schema: dict) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, ops in schema["paths"].items() for method in ops}


def test_every_template_route_is_served_by_the_handler_it_names(http, base_url) -> None:
    for route in routes():
        if route.path in SWAGGER | WEB_PAGES or route.greedy:  # a greedy route is a trailing-slash sibling
            continue
        module = importlib.import_module(route.handler.rpartition(".")[0])
        assert (route.path, route.method) in _operations(json.loads(module.app.get_openapi_json_schema())), (
            route
        )


def test_the_document_lists_every_template_route(http, base_url) -> None:
    """Every route but the greedy trailing-slash siblings, the document itself, Swagger UI and the
    web pages included, and nothing else."""
    documented = _operations(http.get(f"{base_url}/api/0/openapi.json").json())
    declared = {(r.path, r.method) for r in routes() if not r.greedy}
    assert {path for path, _ in declared} >= SWAGGER | WEB_PAGES
    assert documented == declared


def test_unknown_route_and_wrong_method(http, base_url) -> None:
    # under /api/0/ a GET reaches a function (the greedy sibling of /api/0), which answers as Sentry does
    missing = http.get(f"{base_url}/api/0/nothing-here/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "The requested resource does not exist"}
    # no route takes it: the HTTP API itself answers (it has no 405)
    wrong = http.delete(f"{base_url}/api/0/")
    assert (wrong.status_code, wrong.json()) == (404, {"message": "Not Found"})


def test_overlong_path_segments_are_404(http, base_url) -> None:
    world_free = f"{base_url}/api/0/organizations/{'o' * 201}/releases/"
    assert http.get(world_free).status_code in (401, 404)
    response = http.post(f"{base_url}/api/{'1' * 201}/envelope/", data=b"{}\n")
    assert response.status_code == 404 and response.json() == {
        "detail": "The requested resource does not exist"
    }


def test_swagger_ui_is_served(http, base_url) -> None:
    page = http.get(f"{base_url}/api/0/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    # the page embeds the document merged from every function, whichever route a container serves first
    assert "/api/0/organizations/{org}/releases" in page.text
