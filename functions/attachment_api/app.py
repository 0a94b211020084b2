"""Event attachments as Sentry's API lists and serves them: an issue's attachments, an event's, and
one attachment's details or (``?download=1``) its bytes.

An attachment is reachable only through its event, and its event only while the event's issue is
visible: a deleted or merged-away issue hides its attachments at once, whatever S3 still holds."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response

from shared.auth.scopes import EVENT_READ
from shared.errors import NotFound
from shared.events.attachment_pages import issue_attachments_page
from shared.events.attachments import Attachment, attachment_bytes, event_attachments
from shared.events.lookup import visible_event_group
from shared.http.handler import lambda_handler
from shared.http.offset_pagination import paginate_offset
from shared.http.pagination import paginated_response, requested_page
from shared.http.request import org_access, principal, query_params, query_values
from shared.http.resolver import APIGatewayHttpResolver
from shared.issues.lookup import find_issue
from shared.projects.service import get_project
from shared.serializers.attachments import serialize_attachment
from shared.storage.issues import Group

app = APIGatewayHttpResolver(enable_validation=True)


def _list_issue(group: Group) -> Response:
    """A page of the issue's attachments, newest event first, with position cursors that reach
    every kept event's files (``shared.events.attachment_pages``)."""
    cursor, per_page = requested_page(app)
    types, event_ids = query_values(app, "types"), query_values(app, "event_id")
    page = issue_attachments_page(group, cursor, per_page, types, event_ids)
    body = [serialize_attachment(a) for a in page.items]
    return paginated_response(app, page, body)


@app.get("/api/0/issues/<issue_id>/attachments")
def list_issue_attachments(issue_id: str) -> Any:
    _, group = find_issue(principal(app), issue_id, None, EVENT_READ)
    return _list_issue(group)


@app.get("/api/0/organizations/<org>/issues/<issue_id>/attachments")
def list_org_issue_attachments(org: str, issue_id: str) -> Any:
    _, group = find_issue(principal(app), issue_id, org, EVENT_READ)
    return _list_issue(group)


def _event_attachments(org: str, project_slug: str, event_id: str) -> list[Attachment]:
    """The attachments of an event the caller may see; 404 for an unknown or hidden event."""
    project = get_project(org_access(app, org), project_slug, EVENT_READ)
    found = visible_event_group(project.org_id, project.id, event_id)
    if found is None:
        raise NotFound("Event not found")
    return event_attachments(project.id, found[0])


@app.get("/api/0/projects/<org>/<project>/events/<event_id>/attachments")
def list_event_attachments(org: str, project: str, event_id: str) -> Any:
    found = _event_attachments(org, project, event_id)
    return paginate_offset(app, iter(found), lambda page: [serialize_attachment(a) for a in page])


def _download(attachment: Attachment) -> Response:
    """The bytes with their content type, always as a download (never rendered on the API's origin)."""
    # the quoted name in plain ASCII (a header's text), the exact one percent-encoded beside it
    name = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in attachment.name)
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(attachment.name)}"
    response = Response(
        status_code=200,
        content_type=attachment.content_type,
        # base64 text, not bytes: the routes' response validation would read bytes as UTF-8
        body=base64.b64encode(attachment_bytes(attachment)).decode("ascii"),
        headers={
            "Content-Disposition": disposition,
            "Content-Length": str(attachment.size),
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
    response.base64_encoded = True
    return response


@app.get("/api/0/projects/<org>/<project>/events/<event_id>/attachments/<attachment_id>")
def get_event_attachment(org: str, project: str, event_id: str, attachment_id: str) -> Any:
    found = next((a for a in _event_attachments(org, project, event_id) if a.id == attachment_id), None)
    if found is None:
        raise NotFound()
    if "download" in query_params(app):  # as Sentry: any value downloads
        return _download(found)
    return serialize_attachment(found)


handler = lambda_handler(app)
