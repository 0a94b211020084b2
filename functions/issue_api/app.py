"""Issue reads: one issue (by id, or by short id within an organization), the issue lists, an
issue's tags, and the environments of a project or an organization."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response

from shared.auth.scopes import EVENT_READ
from shared.http.handler import lambda_handler
from shared.http.offset_pagination import paginate_offset, requested_end
from shared.http.request import org_access, principal, query_value, query_values
from shared.http.resolver import APIGatewayHttpResolver
from shared.issues.details import details_extras
from shared.issues.environment_counts import environment_sorted, narrow_counts
from shared.issues.listing import list_groups, parse_query, scope_context
from shared.issues.lookup import IssueScope, find_issue, organization_scope, parse_ids
from shared.issues.periods import ListPeriods
from shared.issues.updates.selection import request_scope
from shared.issues.views import group_views, load_feed
from shared.projects.environments import (
    find_environment,
    organization_environments,
    project_environments,
    serialize_project_environment,
)
from shared.search.issues import environment_filter
from shared.serializers.activity import serialize_feed
from shared.serializers.groups import serialize_group
from shared.storage.base import utcnow
from shared.storage.issues import Group
from shared.tags.store import group_tags
from shared.tags.summary import TagSummary
from shared.tags.views import group_tag_key, group_tag_keys, group_tag_values

app = APIGatewayHttpResolver(enable_validation=True)


def _serialized(
    scope: IssueScope, groups: list, periods: ListPeriods | None = None, environments: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The groups as Sentry serializes them; ``environments`` (``?environment=``) narrow ``count``,
    ``userCount`` and ``stats``."""
    views = group_views(scope.access.organization, scope.projects, groups, scope.access.principal.user_id)
    bodies = [dict(serialize_group(view, periods)) for view in views]
    narrow_counts(bodies, [view.state.group for view in views], environments, periods)
    return bodies


def _list(scope: IssueScope) -> Response:
    """One page of the search in the order of Sentry's ``sort`` (default: newest last seen first),
    with Sentry's offset cursors and Link header; ``environment`` (repeatable) keeps the issues
    seen in one of them; ``statsPeriod``/``groupStatsPeriod`` choose the counts and ``stats``."""
    sort = query_value(app, "sort")
    query = parse_query(query_value(app, "query"), scope_context(scope))
    environments = query_values(app, "environment")
    environment_filter(query, environments)
    periods = ListPeriods.of(query_value(app, "statsPeriod"), query_value(app, "groupStatsPeriod"), utcnow())
    user_id = scope.access.principal.user_id
    end = requested_end(app)

    def listed(order: str | None) -> Iterator[Group]:
        return list_groups(scope, query, user_id, order, end)

    found = environment_sorted(listed, sort, environments)
    return paginate_offset(app, found, lambda groups: _serialized(scope, groups, periods, environments))


def _details(scope: IssueScope, group: Group) -> dict[str, Any]:
    """One issue as Sentry's issue details answer it: the group, its releases, people and tag
    keys, ``stats`` of 24 hours and 30 days, and its newest activity."""
    details_periods = ListPeriods(None, ("24h", "30d"))
    environments = query_values(app, "environment")
    return {
        **_serialized(scope, [group], details_periods, environments)[0],
        **details_extras(group, scope.projects),
        "activity": serialize_feed(load_feed(group.id)),
    }


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
        "groupId": str(group.id),
        "group": serialized,
        "shortId": serialized["shortId"],
    }


def _tags(issue_id: str, org: str | None) -> TagSummary:
    _, group = find_issue(principal(app), issue_id, org, EVENT_READ)
    return group_tags(group.id)


@app.get("/api/0/issues/<issue_id>/tags")
def get_issue_tags(issue_id: str) -> Any:
    limit = query_value(app, "limit")
    keys = query_values(app, "key")
    return group_tag_keys(_tags(issue_id, None), keys, int(limit) if limit and limit.isdecimal() else None)


@app.get("/api/0/issues/<issue_id>/tags/<key>")
def get_issue_tag(issue_id: str, key: str) -> Any:
    return group_tag_key(_tags(issue_id, None), key)


@app.get("/api/0/issues/<issue_id>/tags/<key>/values")
def get_issue_tag_values(issue_id: str, key: str) -> Any:
    values = group_tag_values(_tags(issue_id, None), key, query_value(app, "sort"))
    return paginate_offset(app, iter(values), lambda page: page)


@app.get("/api/0/organizations/<org>/issues/<issue_id>/tags")
def get_org_issue_tags(org: str, issue_id: str) -> Any:
    return group_tag_keys(_tags(issue_id, org), query_values(app, "key"), None)


@app.get("/api/0/projects/<org>/<project>/environments")
def list_project_environments(org: str, project: str) -> Any:
    scope = request_scope(org_access(app, org), EVENT_READ, project, [])
    return project_environments(scope.projects[0], query_value(app, "visibility"))


@app.get("/api/0/projects/<org>/<project>/environments/<environment>")
def get_project_environment(org: str, project: str, environment: str) -> Any:
    scope = request_scope(org_access(app, org), EVENT_READ, project, [])
    return serialize_project_environment(find_environment(scope.projects[0], environment))


@app.get("/api/0/organizations/<org>/environments")
def list_org_environments(org: str) -> Any:
    access = org_access(app, org)
    access.require(EVENT_READ)
    ids = [i for i in parse_ids(query_values(app, "project"), "project") if i != -1]
    return organization_environments(organization_scope(access, ids).projects, query_value(app, "visibility"))


@app.get("/api/0/organizations/<org>/issues")
def list_org_issues(org: str) -> Any:
    return _list(request_scope(org_access(app, org), EVENT_READ, None, query_values(app, "project")))


@app.get("/api/0/projects/<org>/<project>/issues")
def list_project_issues(org: str, project: str) -> Any:
    return _list(request_scope(org_access(app, org), EVENT_READ, project, []))


handler = lambda_handler(app)
