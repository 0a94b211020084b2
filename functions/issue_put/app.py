"""``PUT /api/0/issues/{id}/`` and the bulk issue updates (organization and project), the
matching DELETEs, which queue the issues for deletion, comments on an issue, and the PUT that hides
a project's environment."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from shared.auth.scopes import EVENT_ADMIN, EVENT_WRITE, PROJECT_WRITE
from shared.http.errors import json_response
from shared.http.handler import lambda_handler
from shared.http.models.environments import EnvironmentUpdate
from shared.http.models.issues import CommentIn, IssueUpdateIn
from shared.http.request import org_access, principal, query_value, query_values
from shared.http.resolver import APIGatewayHttpResolver
from shared.issues.comments import post_comment
from shared.issues.deletion.removal import delete_issues
from shared.issues.lookup import IssueScope, find_issue
from shared.issues.updates.request import IssueUpdate
from shared.issues.updates.selection import bulk_groups, request_scope
from shared.issues.updates.service import UpdateOutcome, update_groups
from shared.issues.views import Actors, fresh_group_views, group_views
from shared.projects.environments import set_hidden
from shared.serializers.activity import serialize_activity
from shared.serializers.groups import serialize_group
from shared.storage.issues import Group

app = APIGatewayHttpResolver(enable_validation=True)


def _update(body: IssueUpdateIn | None) -> IssueUpdate:
    """An empty body is an empty update (Sentry reads it as ``{}``)."""
    return (body or IssueUpdateIn()).to_update()


def _selected(scope: IssueScope) -> list[Group]:
    """The groups a bulk request names: ``?id=``, else ``?query=``/``?status=``."""
    return bulk_groups(scope, query_values(app, "id"), query_value(app, "query"), query_value(app, "status"))


def _answer(outcome: UpdateOutcome) -> Response:
    if outcome.status_code == 204:
        return Response(status_code=204, body="")
    return json_response(outcome.status_code, outcome.body)


@app.put("/api/0/issues/<issue_id>")
def put_issue(issue_id: str, body: Annotated[IssueUpdateIn | None, Body()] = None) -> Any:
    """Sentry's GroupDetailsEndpoint.put: the updated group, serialized (204 after a discard)."""
    return _put_one(find_issue(principal(app), issue_id, None, EVENT_WRITE), body)


@app.post("/api/0/issues/<issue_id>/comments")
def post_issue_comment(issue_id: str, body: CommentIn) -> Any:
    """Sentry's GroupNotesEndpoint.post: the note, serialized as an activity (201)."""
    caller = principal(app)
    _, group = find_issue(caller, issue_id, None, EVENT_WRITE)
    note = post_comment(group, caller.user_id, app.current_event.json_body)
    user = caller.user
    actors = Actors({user.id: user} if user else {}, {})
    return json_response(201, serialize_activity(note, actors))


def _put_one(found: tuple[IssueScope, Group], body: IssueUpdateIn | None) -> Any:
    scope, group = found
    outcome = update_groups(scope, [group], _update(body))
    if outcome.status_code != 200:
        return _answer(outcome)
    organization, user_id = scope.access.organization, scope.access.principal.user_id
    views = fresh_group_views(organization, scope.projects, [group.id], user_id, outcome.known_actors())
    return serialize_group((views or group_views(organization, scope.projects, [group], user_id))[0])


@app.put("/api/0/organizations/<org>/issues/<issue_id>")
def put_org_issue(org: str, issue_id: str, body: Annotated[IssueUpdateIn | None, Body()] = None) -> Any:
    """The single-issue PUT addressed within an organization (numeric id or short id)."""
    return _put_one(find_issue(principal(app), issue_id, org, EVENT_WRITE), body)


@app.put("/api/0/organizations/<org>/issues")
def put_org_issues(org: str, body: Annotated[IssueUpdateIn | None, Body()] = None) -> Any:
    scope = request_scope(org_access(app, org), EVENT_WRITE, None, query_values(app, "project"))
    groups = _selected(scope)
    return _answer(update_groups(scope, groups, _update(body)))


@app.put("/api/0/projects/<org>/<project>/issues")
def put_project_issues(org: str, project: str, body: Annotated[IssueUpdateIn | None, Body()] = None) -> Any:
    scope = request_scope(org_access(app, org), EVENT_WRITE, project, [])
    groups = _selected(scope)
    return _answer(update_groups(scope, groups, _update(body)))


@app.delete("/api/0/issues/<issue_id>")
def delete_issue(issue_id: str) -> Any:
    """202: the issue is gone from every read at once and deleted by the worker after the delay."""
    _, group = find_issue(principal(app), issue_id, None, EVENT_ADMIN)
    delete_issues([group])
    return Response(status_code=202, body="")


@app.delete("/api/0/organizations/<org>/issues/<issue_id>")
def delete_org_issue(org: str, issue_id: str) -> Any:
    _, group = find_issue(principal(app), issue_id, org, EVENT_ADMIN)
    delete_issues([group])
    return Response(status_code=202, body="")


@app.delete("/api/0/organizations/<org>/issues")
def delete_org_issues(org: str) -> Any:
    scope = request_scope(org_access(app, org), EVENT_ADMIN, None, query_values(app, "project"))
    delete_issues(_selected(scope))
    return Response(status_code=204, body="")


@app.delete("/api/0/projects/<org>/<project>/issues")
def delete_project_issues(org: str, project: str) -> Any:
    scope = request_scope(org_access(app, org), EVENT_ADMIN, project, [])
    delete_issues(_selected(scope))
    return Response(status_code=204, body="")


@app.put("/api/0/projects/<org>/<project>/environments/<environment>")
def put_project_environment(
    org: str, project: str, environment: str, body: Annotated[EnvironmentUpdate, Body()]
) -> Any:
    scope = request_scope(org_access(app, org), PROJECT_WRITE, project, [])
    return set_hidden(scope.projects[0], environment, body.isHidden)


handler = lambda_handler(app)
