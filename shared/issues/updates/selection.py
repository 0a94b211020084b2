"""Which groups a bulk request is about (Sentry's update_groups_with_search_fn, made strict).

With ``?id=`` the listed groups the caller may see (at most 1000 ids), unknown ids ignored, and
never a fallback to the search when none matched (``../shared/contract/decisions.md`` 10). Without
ids, the search (``?query=``, or ``?status=`` as sentry-cli sends it, default ``is:unresolved``)
selects at most 1000 groups."""

from __future__ import annotations

from shared.auth.access import OrgAccess
from shared.errors import BadRequest, ValidationFailed
from shared.issues.listing import BULK_MUTATION_LIMIT, bulk_candidates, status_query
from shared.issues.lookup import IssueScope, groups_by_ids, organization_scope, parse_ids
from shared.projects.service import get_project
from shared.storage.issues import Group

GLOBAL_VIEWS = "organizations:global-views"


def request_scope(
    access: OrgAccess, scopes: frozenset[str], project_slug: str | None, project_ids: list[str]
) -> IssueScope:
    """A project's scope, or the organization's visible projects (narrowed by ``?project=``).

    Several projects at once need the organization's multi-project feature, as in Sentry."""
    access.require(scopes)
    if project_slug is not None:
        return IssueScope(access, [get_project(access, project_slug, scopes)])
    scope = organization_scope(access, [i for i in parse_ids(project_ids, "project") if i != -1])
    if len(scope.projects) > 1 and GLOBAL_VIEWS not in (access.organization.features or set()):
        raise BadRequest("You do not have the multi project stream feature enabled")
    return scope


def bulk_groups(scope: IssueScope, ids: list[str], query: str | None, status: str | None) -> list[Group]:
    """The groups of a bulk update; more than ``BULK_MUTATION_LIMIT`` listed ids is a 400, so a call
    never touches more issues than a search would select."""
    if ids:
        parsed = parse_ids(ids, "id")
        if len(set(parsed)) > BULK_MUTATION_LIMIT:
            message = f"Ensure this field has no more than {BULK_MUTATION_LIMIT} elements."
            raise ValidationFailed({"id": [message]})
        return groups_by_ids(scope, parsed)
    if status:
        query = status_query(status)
    return bulk_candidates(scope, query, scope.access.principal.user_id)
