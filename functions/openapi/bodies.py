"""The JSON body each operation answers on success, as the serializers of ``shared.serializers``
declare it (their return types), turned into the document's response schemas.

The handlers answer plain dicts (``-> Any``): a return annotation would make powertools validate and
re-serialize every answer at run time. The shapes are declared once, on the serializers, and
checked against the running API by the schema fuzzing."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ConfigDict, TypeAdapter, with_config
from typing_extensions import TypedDict

from shared.events.serializer import EventBody, HashBody, SimpleEventBody
from shared.events.serializer import EventIdBody as EventLookupBody
from shared.serializers.accounts import MemberBody, TeamBody, WhoAmIBody
from shared.serializers.activity import GroupDetailsBody
from shared.serializers.groups import GroupBody, ShortIdBody
from shared.serializers.project_keys import ProjectKeyBody
from shared.serializers.projects import ProjectBody
from shared.serializers.releases import CommitBody, CommitFileBody, DeployBody, ReleaseBody
from shared.serializers.repositories import RepositoryBody


class EventIdBody(TypedDict, total=False):
    """Ingestion's answer: the accepted event's id (an envelope without an event answers ``{}``)."""

    id: str


@with_config(ConfigDict(extra="forbid"))
class EmptyBody(TypedDict):
    """``{}``: Sentry's answer when there is nothing to show (no earlier release with commits)."""


# Sentry's answer to a bulk issue update: the fields it changed (their names depend on the request).
UpdatedFields = dict[str, Any]

BODIES: dict[tuple[str, str], Any] = {
    ("get", "/api/0"): WhoAmIBody,
    ("post", "/api/{project_id}/envelope"): EventIdBody,
    ("post", "/api/{project_id}/store"): EventIdBody,
    ("get", "/api/0/issues/{issue_id}"): GroupDetailsBody,
    ("get", "/api/0/organizations/{org}/issues/{issue_id}"): GroupDetailsBody,
    ("put", "/api/0/issues/{issue_id}"): GroupBody,
    ("put", "/api/0/organizations/{org}/issues/{issue_id}"): GroupBody,
    ("get", "/api/0/issues/{issue_id}/events"): list[SimpleEventBody],
    ("get", "/api/0/organizations/{org}/issues/{issue_id}/events"): list[SimpleEventBody],
    ("get", "/api/0/issues/{issue_id}/events/{event_id}"): EventBody,
    ("get", "/api/0/organizations/{org}/issues/{issue_id}/events/{event_id}"): EventBody,
    ("get", "/api/0/projects/{org}/{project}/events"): list[SimpleEventBody],
    ("get", "/api/0/projects/{org}/{project}/events/{event_id}"): EventBody,
    ("get", "/api/0/organizations/{org}/eventids/{event_id}"): EventLookupBody,
    ("get", "/api/0/issues/{issue_id}/hashes"): list[HashBody],
    ("get", "/api/0/organizations/{org}/issues/{issue_id}/hashes"): list[HashBody],
    ("get", "/api/0/organizations/{org}/shortids/{short_id}"): ShortIdBody,
    ("get", "/api/0/organizations/{org}/issues"): list[GroupBody],
    ("get", "/api/0/projects/{org}/{project}/issues"): list[GroupBody],
    ("put", "/api/0/organizations/{org}/issues"): UpdatedFields,
    ("put", "/api/0/projects/{org}/{project}/issues"): UpdatedFields,
    ("post", "/api/0/teams/{org}/{team}/projects"): ProjectBody,
    ("get", "/api/0/projects/{org}/{project}"): ProjectBody,
    ("put", "/api/0/projects/{org}/{project}"): ProjectBody,
    ("get", "/api/0/projects/{org}/{project}/keys"): list[ProjectKeyBody],
    ("get", "/api/0/projects/{org}/{project}/members"): list[MemberBody],
    ("get", "/api/0/organizations/{org}/projects"): list[ProjectBody],
    ("get", "/api/0/organizations/{org}/teams"): list[TeamBody],
    ("post", "/api/0/organizations/{org}/teams"): TeamBody,
    ("get", "/api/0/organizations/{org}/releases"): list[ReleaseBody],
    ("post", "/api/0/organizations/{org}/releases"): ReleaseBody,
    ("get", "/api/0/projects/{org}/{project}/releases"): list[ReleaseBody],
    ("get", "/api/0/organizations/{org}/releases/{version}"): ReleaseBody,
    ("put", "/api/0/organizations/{org}/releases/{version}"): ReleaseBody,
    ("get", "/api/0/organizations/{org}/releases/{version}/commits"): list[CommitBody],
    ("get", "/api/0/organizations/{org}/releases/{version}/commitfiles"): list[CommitFileBody],
    ("get", "/api/0/organizations/{org}/releases/{version}/previous-with-commits"): ReleaseBody | EmptyBody,
    ("get", "/api/0/organizations/{org}/releases/{version}/deploys"): list[DeployBody],
    ("post", "/api/0/organizations/{org}/releases/{version}/deploys"): DeployBody,
    ("get", "/api/0/organizations/{org}/repos"): list[RepositoryBody],
    ("post", "/api/0/organizations/{org}/repos"): RepositoryBody,
}
REF = "#/components/schemas/{model}"


def body_schema(method: str, path: str, schemas: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema of the operation's success body (its named parts added to ``schemas``), or
    None for an operation that answers no body."""
    if (method, path) not in BODIES:
        return None
    schema = TypeAdapter(BODIES[method, path]).json_schema(ref_template=REF, mode="serialization")
    schemas.update(schema.pop("$defs", {}))
    return schema


ENVELOPE = "application/x-sentry-envelope"
EVENT_EXAMPLE = {"message": "Something broke", "level": "error", "platform": "python"}
# What the ingestion edge reads: the raw body (``shared.ingest``), not a model powertools could see.
REQUEST_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/{project_id}/envelope"): {
        "description": "A Sentry envelope: a JSON header line, then items (a header line and a payload each)",
        "required": True,
        "content": {
            ENVELOPE: {
                "schema": {"type": "string", "minLength": 1},
                "example": '{}\n{"type": "event"}\n' + json.dumps(EVENT_EXAMPLE) + "\n",
            }
        },
    },
    ("post", "/api/{project_id}/store"): {
        "description": "One Sentry event (the legacy store endpoint)",
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}, "example": EVENT_EXAMPLE}},
    },
}


def request_body(method: str, path: str) -> dict[str, Any] | None:
    return REQUEST_BODIES.get((method, path))
