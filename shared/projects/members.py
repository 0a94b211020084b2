"""The people of a project (Sentry's project member index): the organization's members on any of
the project's teams, with their users. This is who an issue of the project can be assigned to
(outside open-membership organizations), so the assignee picker lists exactly them."""

from __future__ import annotations

from dataclasses import dataclass

from shared.accounts.organizations import list_members
from shared.auth.access import OrgAccess
from shared.projects.service import get_project
from shared.storage.accounts import OrganizationMember, User
from shared.storage.base import batch_get


@dataclass(frozen=True)
class ProjectMember:
    member: OrganizationMember
    user: User


def project_members(access: OrgAccess, slug: str) -> list[ProjectMember]:
    """Active members of the project's teams, by email; one Query of the organization's members and
    one BatchGetItem of their users. 404 for a project the caller may not see."""
    project = get_project(access, slug)
    team_ids = project.team_ids
    members = [m for m in list_members(access.organization.id) if team_ids.intersection(m.team_ids)]
    users = {u.id: u for u in batch_get(User, [User.key(m.user_id) for m in members])}
    found = [
        ProjectMember(m, users[m.user_id])
        for m in members
        if m.user_id in users and users[m.user_id].is_active
    ]
    return sorted(found, key=lambda p: (p.user.email.lower(), p.user.id))
