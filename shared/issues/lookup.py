"""Finding the groups a request names, within what the caller may see.

A group is reachable when its organization is the caller's, its project is one the caller has access
to, and it is not on its way out (pending deletion or merge); anything else answers 404, like a
missing group, so ids never reveal what exists elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth.access import OrgAccess, Principal, organization_access
from shared.errors import NotFound, PermissionDenied, ValidationFailed
from shared.issues.enums import GONE_STATUSES
from shared.issues.groups import find_groups_by_short_ids, get_group
from shared.releases.access import organization_projects
from shared.storage.accounts import Project
from shared.storage.base import batch_get
from shared.storage.issues import Group


@dataclass
class IssueScope:
    """The caller's access to an organization and the projects a request is about."""

    access: OrgAccess
    projects: list[Project]

    def project(self, project_id: int) -> Project | None:
        return next((p for p in self.projects if p.id == int(project_id)), None)

    def contains(self, group: Group) -> bool:
        return (
            group.org_id == self.access.organization.id
            and self.project(group.project_id) is not None
            and group.status not in GONE_STATUSES
        )


def organization_scope(access: OrgAccess, project_ids: list[int] | None = None) -> IssueScope:
    """The organization's projects the caller may see, narrowed to ``project_ids`` when given.

    A named project the caller may not see (or the organization lacks) is a 403, as Sentry's
    ``get_projects`` answers: an empty answer would read as "no issues there"."""
    visible = access.visible(organization_projects(access))
    if project_ids:
        wanted = set(project_ids)
        visible = [p for p in visible if p.id in wanted]
        if len(visible) != len(wanted):
            raise PermissionDenied()
    return IssueScope(access, visible)


def find_issue(
    principal: Principal, issue_id: str, org: str | None, scopes: frozenset[str]
) -> tuple[IssueScope, Group]:
    """The group named by ``issue_id`` (a numeric id, or with ``org`` a qualified short id).

    401 without a valid token, 404 when the group is missing or not visible, 403 when it is visible
    but the caller lacks ``scopes``."""
    group: Group | None = None
    if org is not None:
        access = organization_access(principal, org)
        if issue_id.isdecimal():
            group = get_group(int(issue_id))
        else:
            group = find_groups_by_short_ids(access.organization.id, [issue_id]).get(issue_id.strip().upper())
    elif issue_id.isdecimal():
        group = get_group(int(issue_id))
        if group is None:
            raise NotFound()
        access = organization_access(principal, str(group.org_id))
    else:
        raise NotFound()
    scope = organization_scope(access)
    if group is None or not scope.contains(group):
        raise NotFound()
    access.require(scopes)
    return IssueScope(access, [scope.project(group.project_id)]), group


def parse_ids(values: list[str], field: str) -> list[int]:
    """Integer query values (docs/decisions.md §issues.11: a non-integer ``?id=`` is a 400, never a 500)."""
    try:
        return [int(value) for value in values]
    except ValueError:
        raise ValidationFailed({field: ["A valid integer is required."]}) from None


def groups_by_ids(scope: IssueScope, ids: list[int]) -> list[Group]:
    """The listed groups the caller may see (unknown or hidden ids are left out), 100 per request."""
    keys = [Group.key(i) for i in dict.fromkeys(ids)]
    found = {g.id: g for g in batch_get(Group, keys, consistent_read=True)}
    return [found[i] for i in dict.fromkeys(ids) if i in found and scope.contains(found[i])]
