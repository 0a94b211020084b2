"""The OpenAPI document's answers, parameters and request schemas say what the code does."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from functions.openapi import app as openapi
from shared.http.models.deploys import DeployCreate
from shared.http.models.issues import IssueUpdateIn, StatusDetailsIn
from shared.http.models.releases import ReleaseCreate, ReleaseUpdate


@cache
def document() -> dict[str, Any]:
    openapi.app.configure_openapi_merge(
        path=str(openapi.FUNCTIONS),
        pattern="app.py",
        recursive=True,
        exclude=["**/openapi/**", "**/__pycache__/**"],
        title=openapi.TITLE,
        version="0",
    )
    return json.loads(openapi._document())


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in document()["paths"].items() for m, op in ops.items()]


def test_every_success_body_has_the_serializers_schema() -> None:
    text = json.dumps(document())
    assert '"title": "Return"' not in text  # powertools' schema of an unannotated return value
    bodies = 0
    for method, path, operation in operations():
        for status, answer in operation["responses"].items():
            schema = answer.get("content", {}).get("application/json", {}).get("schema")
            if status.startswith("2") and schema is not None and path != "/api/0/openapi.json":
                bodies += 1
                assert {"properties", "items", "anyOf", "additionalProperties"} & set(schema), (method, path)
    assert bodies >= 35


def test_the_release_body_names_what_sentry_cli_reads() -> None:
    answer = document()["paths"]["/api/0/organizations/{org}/releases/{version}"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert {"version", "dateCreated", "newGroups", "projects", "lastCommit"} <= set(schema["required"])
    assert schema["properties"]["newGroups"] == {"title": "Newgroups", "type": "integer"}


@pytest.mark.parametrize(
    ("method", "path", "names"),
    [
        ("get", "/api/0/organizations/{org}/issues", {"project", "query", "sort", "cursor", "per_page"}),
        ("put", "/api/0/projects/{org}/{project}/issues", {"id", "query", "status"}),
        ("get", "/api/0/organizations/{org}/releases/{version}", {"project", "health", "summaryStatsPeriod"}),
        ("get", "/api/0/organizations/{org}/repos", {"cursor", "per_page"}),
        ("post", "/api/{project_id}/store", {"sentry_key"}),
    ],
)
def test_query_parameters_are_documented(method: str, path: str, names: set[str]) -> None:
    operation = document()["paths"][path][method]
    assert names <= {p["name"] for p in operation["parameters"] if p["in"] == "query"}


@pytest.mark.parametrize(
    "model", [IssueUpdateIn, StatusDetailsIn, ReleaseCreate, ReleaseUpdate, DeployCreate]
)
def test_fields_documented_without_null_refuse_null(model: type[BaseModel]) -> None:
    """A field whose schema leaves null out is one whose validator refuses it, with DRF's message."""
    schema = model.model_json_schema()
    properties = schema["properties"]
    valid = {"version": "1.0", "projects": ["web"], "environment": "prod"}
    required = {name: valid[name] for name in schema.get("required", [])}
    not_null = [
        name
        for name, schema in properties.items()
        if name not in required
        and "null" not in json.dumps(schema.get("anyOf", schema.get("type")))
        and "$ref" not in schema
        and "allOf" not in schema
    ]
    assert not_null
    for name in not_null:
        body = required | {name: None}
        with pytest.raises(ValidationError) as refused:
            model.model_validate(body)
        assert name in str(refused.value) and "This field may not be null." in str(refused.value), name
