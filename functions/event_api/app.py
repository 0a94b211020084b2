"""Sentry's event endpoints over the event store: an issue's events and one of them (by id, or its
latest, oldest or recommended), a project's events and one of them, which issue holds an event id
(``eventids``) and an issue's hashes with their latest events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from shared.auth.scopes import EVENT_READ
from shared.errors import NotFound
from shared.events.lookup import visible_project_slug
from shared.events.reads import (
    EVENT_NOT_FOUND,
    EventPage,
    event_by_id,
    event_details,
    event_id_of,
    group_event,
    group_events,
    latest_of_hash,
    project_events,
    window_of,
)
from shared.events.serializer import EventBody, serialize_full
from shared.http.handler import lambda_handler
from shared.http.pagination import paginated_response, parse_per_page
from shared.http.request import org_access, principal, query_value, query_values
from shared.http.resolver import APIGatewayHttpResolver
from shared.issues.deletion.queue import hash_values
from shared.issues.events.latest import latest_event
from shared.issues.lookup import find_issue
from shared.issues.updates.selection import request_scope
from shared.search.engine import matching_events
from shared.search.event_sql import event_filter
from shared.serializers.events import serialize_event
from shared.storage.issues import Group
from shared.storage.paging import Page

app = APIGatewayHttpResolver(enable_validation=True)

# Sentry's page of an issue's events.
DEFAULT_PER_PAGE = 50
NAMED_EVENTS = ("latest", "oldest", "recommended")


def _full() -> bool:
    return (query_value(app, "full") or "").lower() in ("1", "true", "yes")


def _page(page: EventPage) -> Any:
    return paginated_response(app, Page(page.items, page.next_cursor, page.prev_cursor), page.items)


def _per_page() -> int:
    return parse_per_page(query_value(app, "per_page"), DEFAULT_PER_PAGE)


def _found(project_id: int, group_id: int | None, since: datetime | None) -> set[str] | None:
    """The ids of the events the ``query`` parameter finds (None: no query, every event), by the
    event search engine over the kept events; 400 with Sentry's message for a bad query."""
    found = event_filter(query_value(app, "query") or "")
    return matching_events(found, project_id, group_id, since) if found else None


def _issue_events(issue_id: str, org: str | None) -> Any:
    _, group = find_issue(principal(app), issue_id, org, EVENT_READ)
    window = window_of(
        query_value(app, "start"),
        query_value(app, "end"),
        query_value(app, "statsPeriod"),
        query_values(app, "environment"),
    )
    only = _found(group.project_id, group.id, window.start)
    return _page(group_events(group, query_value(app, "cursor"), _per_page(), window, _full(), only))


@app.get("/api/0/issues/<issue_id>/events")
def list_issue_events(issue_id: str) -> Any:
    return _issue_events(issue_id, None)


@app.get("/api/0/organizations/<org>/issues/<issue_id>/events")
def list_org_issue_events(org: str, issue_id: str) -> Any:
    return _issue_events(issue_id, org)


def _issue_event(issue_id: str, org: str | None, event_id: str) -> EventBody:
    """One event of the issue: by id, or Sentry's ``latest``/``oldest``/``recommended``. An issue
    whose events were counted before the store kept them answers its latest with the one it kept."""
    _, group = find_issue(principal(app), issue_id, org, EVENT_READ)
    if event_id in NAMED_EVENTS:
        window = window_of(None, None, None, query_values(app, "environment"))
        try:
            return group_event(group, event_id, window)
        except NotFound:
            if event_id == "oldest":
                raise
            return _kept_latest(group)
    wanted = event_id_of(event_id)
    return event_details(group.org_id, wanted, known=group)


def _kept_latest(group: Group) -> EventBody:
    document = latest_event(group.id)
    if document is None:
        raise NotFound(EVENT_NOT_FOUND)
    kept = serialize_event(document, group)
    return cast(EventBody, {**kept, "size": None, "release": None, "dateReceived": kept["dateCreated"]})


@app.get("/api/0/issues/<issue_id>/events/<event_id>")
def get_issue_event(issue_id: str, event_id: str) -> Any:
    return _issue_event(issue_id, None, event_id)


@app.get("/api/0/organizations/<org>/issues/<issue_id>/events/<event_id>")
def get_org_issue_event(org: str, issue_id: str, event_id: str) -> Any:
    return _issue_event(issue_id, org, event_id)


@app.get("/api/0/projects/<org>/<project>/events")
def list_project_events(org: str, project: str) -> Any:
    scope = request_scope(org_access(app, org), EVENT_READ, project, [])
    [found] = scope.projects
    only = _found(found.id, None, None)
    page = project_events(found.org_id, found.id, query_value(app, "cursor"), _per_page(), _full(), only)
    return _page(page)


@app.get("/api/0/projects/<org>/<project>/events/<event_id>")
def get_project_event(org: str, project: str, event_id: str) -> Any:
    wanted = event_id_of(event_id)
    scope = request_scope(org_access(app, org), EVENT_READ, project, [])
    [found] = scope.projects
    return event_details(found.org_id, wanted, allowed=scope.contains)


@app.get("/api/0/organizations/<org>/eventids/<event_id>")
def resolve_event_id(org: str, event_id: str) -> Any:
    """Sentry's event id lookup: the organization, project and issue holding the event, and it."""
    wanted = event_id_of(event_id)
    access = org_access(app, org)
    access.require(EVENT_READ)
    found = event_by_id(access.organization.id, wanted, with_pointer=True)
    slug = visible_project_slug(access, found.pointer)
    if slug is None:
        raise NotFound(EVENT_NOT_FOUND)
    return {
        "organizationSlug": access.organization.slug,
        "projectSlug": slug,
        "groupId": str(found.group.id),
        "eventId": wanted,
        "event": serialize_full(found.document, found.group.id, found.release),
    }


def _hashes(issue_id: str, org: str | None) -> Any:
    """Sentry's group hashes: each hash of the issue with its newest kept event."""
    _, group = find_issue(principal(app), issue_id, org, EVENT_READ)
    body = [
        {"id": value, "latestEvent": latest_of_hash(group, value), "mergedBySeer": False}
        for value in sorted(hash_values(group.id))
    ]
    return paginated_response(app, Page(body), body)


@app.get("/api/0/issues/<issue_id>/hashes")
def list_issue_hashes(issue_id: str) -> Any:
    return _hashes(issue_id, None)


@app.get("/api/0/organizations/<org>/issues/<issue_id>/hashes")
def list_org_issue_hashes(org: str, issue_id: str) -> Any:
    return _hashes(issue_id, org)


handler = lambda_handler(app)
