"""Issue reads: one issue (by id, or by short id within an organization) and the issue lists."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from shared.auth.scopes import EVENT_READ
from shared.http.handler import lambda_handler
from shared.http.offset_pagination import paginate_offset, requested_end
from shared.http.request import org_access, principal, query_value, query_values
from shared.http.resolver import APIGatewayHttpResolver
from shared.issues.listing import list_groups, parse_query
from shared.issues.lookup import IssueScope, find_issue
from shared.issues.updates.selection import request_scope
from shared.issues.views import group_views, load_feed
from shared.serializers.activity import serialize_feed
from shared.serializers.groups import serialize_group
from shared.storage.issues import Group

app = APIGatewayHttpResolver(enable_validation=True)


def _serialized(scope: IssueScope, groups: list) -> list[dict[str, Any]]:
    views = group_views(scope.access.organization, scope.projects, groups, scope.access.principal.user_id)
    return [serialize_group(view) for view in views]


def _list(scope: IssueScope) -> Response:
    """One page of the search in the order of Sentry's ``sort`` (default: newest last seen first),
    with Sentry's offset cursors and Link header."""
    sort = query_value(app, "sort")
    query = parse_query(query_value(app, "query"))
    user_id = scope.access.principal.user_id
    found = list_groups(scope, query, user_id, sort, requested_end(app))
    return paginate_offset(app, found, lambda groups: _serialized(scope, groups))


def _details(scope: IssueScope, group: Group) -> dict[str, Any]:
    """One issue as Sentry's issue details answer it: the group and its newest activity."""
    return {**_serialized(scope, [group])[0], "activity": serialize_feed(load_feed(int(group.id)))}


@app.get("/api/0/issues/<issue_id>")
def get_issue(issue_id: str) -> Any:
    scope, group = find_issue(principal(app), issue_id, None, EVENT_READ)
    return _details(scope, group)


@app.get("/api/0/organizations/<org>/issues/<issue_id>")
def get_org_issue(org: str, issue_id: str) -> Any:
    scope, group = find_issue(principal(app), issue_id, org, EVENT_READ)
    return _details(scope, group)


@app.get("/api/0/organizations/<org>/shortids/<short_id>")
def get_short_id(org: str, short_id: str) -> Any:
    """Sentry's short-id lookup: where the issue lives, and the issue itself."""
    scope, group = find_issue(principal(app), short_id, org, EVENT_READ)
    serialized = _serialized(scope, [group])[0]
    return {
        "organizationSlug": scope.access.organization.slug,
        "projectSlug": serialized["project"]["slug"],
        "groupId": str(int(group.id)),
        "group": serialized,
        "shortId": serialized["shortId"],
    }


@app.get("/api/0/organizations/<org>/issues")
def list_org_issues(org: str) -> Any:
    return _list(request_scope(org_access(app, org), EVENT_READ, None, query_values(app, "project")))


@app.get("/api/0/projects/<org>/<project>/issues")
def list_project_issues(org: str, project: str) -> Any:
    return _list(request_scope(org_access(app, org), EVENT_READ, project, []))


handler = lambda_handler(app)
