"""The answers the merged OpenAPI document lists for each operation.

powertools documents every route with 200 and a 422 in its own validation shape. This API never
answers 422 (validation errors are Sentry's 400 ``{"field": ["message"]}``), several routes succeed
with 201, 202, 204 or 208, and every route can answer the Sentry-shaped errors of ``shared.errors``.
The document is corrected here, in one place, after the merge: with the success bodies
(``bodies``), the query parameters (``parameters``) and the routes no resolver documents."""

from __future__ import annotations

from typing import Any

from functions.openapi.bodies import body_schema, request_body
from functions.openapi.parameters import query_parameters

DETAIL = {
    "type": "object",
    "properties": {"detail": {"description": "a message, or a list of messages"}},
    "required": ["detail"],
}
# A field error answer names the fields, so its keys are not known in advance.
FIELD_ERRORS = {
    "anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "string"}}],
    "description": 'Sentry\'s `{"field": ["message"]}` (nested for nested fields), `{"detail": ...}`, '
    "or a list of messages where Sentry raises a bare validation error",
}


def _answer(description: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# Answers every management operation can give; the ingestion edge answers 429 where these say 503.
COMMON_ERRORS = {
    "400": ("The request is invalid", FIELD_ERRORS),
    "401": ("Authentication missing or not valid", DETAIL),
    "403": ("The caller lacks the scope this operation needs", DETAIL),
    "404": ("Not found, or not visible to the caller", DETAIL),
    "415": ("The request body has a content type this operation does not read", DETAIL),
}
WRITE_ERRORS = {"409": ("Conflicts with a concurrent change or an existing name", DETAIL)}
BUSY = {"503": ("Storage is busy; retry after the Retry-After header's seconds", DETAIL)}
INGEST_ERRORS = {
    "413": ("The body is larger than an event may be", DETAIL),
    "429": ("Storage is busy; retry after the Retry-After header's seconds", DETAIL),
}

# Operations whose success is not a 200 with a JSON body: status → description (no body unless noted).
SUCCESS: dict[tuple[str, str], dict[str, str]] = {
    ("post", "/api/0/organizations/{org}/releases"): {"201": "Created", "208": "The release already existed"},
    ("post", "/api/0/organizations/{org}/releases/{version}/deploys"): {"201": "Created"},
    ("post", "/api/0/organizations/{org}/repos"): {"201": "Created"},
    ("post", "/api/0/organizations/{org}/teams"): {"201": "Created"},
    ("post", "/api/0/teams/{org}/{team}/projects"): {"201": "Created"},
    ("delete", "/api/0/organizations/{org}/releases/{version}"): {"204": "Deleted"},
    ("delete", "/api/0/projects/{org}/{project}"): {"204": "Scheduled for deletion"},
    ("delete", "/api/0/issues/{issue_id}"): {"202": "Scheduled for deletion"},
    ("delete", "/api/0/organizations/{org}/issues/{issue_id}"): {"202": "Scheduled for deletion"},
    ("delete", "/api/0/organizations/{org}/issues"): {"204": "Scheduled for deletion, or none matched"},
    ("delete", "/api/0/projects/{org}/{project}/issues"): {"204": "Scheduled for deletion, or none matched"},
    ("post", "/api/0/projects/{org}/{project}/rules"): {"201": "Created"},
    ("delete", "/api/0/projects/{org}/{project}/rules/{rule_id}"): {"202": "Deleted"},
    ("post", "/api/0/projects/{org}/{project}/plugins/{plugin}"): {"201": "Enabled"},
    ("delete", "/api/0/projects/{org}/{project}/plugins/{plugin}"): {"204": "Disabled"},
    ("put", "/api/0/users/{user_id}/notification-settings"): {"201": "Stored"},
    ("post", "/api/0/issues/{issue_id}/comments"): {"201": "Created"},
}
# Operations answering 200 that may also answer 204 (a discard, or a bulk update that matched nothing).
ALSO_NO_CONTENT = {
    ("put", "/api/0/issues/{issue_id}"),
    ("put", "/api/0/organizations/{org}/issues/{issue_id}"),
    ("put", "/api/0/organizations/{org}/issues"),
    ("put", "/api/0/projects/{org}/{project}/issues"),
}
CREATED_BODY = {"post"}  # created resources are answered with their JSON


def _page(
    summary: str, content_types: list[str], parameters: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A route served beside the API's resolvers, without a token: a page or file (404 for a file
    that does not ship)."""
    content = {media_type: {"schema": {"type": "string"}} for media_type in content_types}
    operation: dict[str, Any] = {
        "summary": summary,
        "security": [],
        "responses": {"200": {"description": summary, "content": content}},
    }
    if parameters:
        operation["parameters"] = parameters
        operation["responses"]["404"] = _answer("No such file", DETAIL)
    return {"get": operation}


ASSET = {"name": "asset", "in": "path", "required": True, "schema": {"type": "string"}}
# The template's routes that no resolver documents: this document, Swagger UI and the web pages.
PAGES = {
    "/api/0/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {
                "200": _answer(
                    "The OpenAPI document of every operation",
                    {"type": "object", "required": ["openapi", "info", "paths"]},
                )
            },
        }
    },
    "/api/0/docs": _page("Swagger UI over this document", ["text/html"]),
    "/": _page("The web page for people", ["text/html"]),
    "/assets/{asset}": _page("A script or style of the web page", ["text/javascript", "text/css"], [ASSET]),
}


def _success(method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """The operation's success answers: its statuses, each with the serializers' body where it has one."""
    if (method, path) not in SUCCESS:
        answers = {"200": _answer("Success", body)}
    else:
        with_body = method in CREATED_BODY
        answers = {
            status: _answer(description, body if with_body else None)
            for status, description in SUCCESS[method, path].items()
        }
    if (method, path) in ALSO_NO_CONTENT:
        answers["204"] = {"description": "Discarded, or no issue matched"}
    return answers


def document_responses(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with each operation's real answers and query parameters (modified in place and
    returned), and the routes served beside the resolvers (the document itself, Swagger UI, the web
    pages)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses.pop("200", None)
            responses.update(_success(method, path, body_schema(method, path, schemas)))
            if body := request_body(method, path):
                operation["requestBody"] = body
            if parameters := query_parameters(method, path):
                operation["parameters"] = [*operation.get("parameters", []), *parameters]
            errors = dict(COMMON_ERRORS)
            if path.startswith("/api/0/"):
                errors |= BUSY
                if method != "get":
                    errors |= WRITE_ERRORS
            else:
                errors |= INGEST_ERRORS
            for status, (description, schema) in errors.items():
                responses.setdefault(status, _answer(description, schema))
    document["paths"].update(PAGES)
    return document
