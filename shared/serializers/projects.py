"""Projects as Sentry serializes them; a project lists its teams."""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict

from shared.auth.access import OrgAccess
from shared.projects.data_scrubbing import serialize_data_scrubbing
from shared.serializers.accounts import OrganizationBody, serialize_organization
from shared.serializers.dates import format_datetime
from shared.storage.accounts import Project


class ProjectTeamBody(TypedDict):
    id: str
    slug: str
    name: str


class ProjectBody(TypedDict):
    id: str
    slug: str
    name: str
    platform: str | None
    dateCreated: str | None
    status: str
    isMember: bool
    hasAccess: bool
    isBookmarked: bool
    features: list[str]
    teams: list[ProjectTeamBody]
    team: ProjectTeamBody | None
    organization: NotRequired[OrganizationBody]  # the detailed form only, as the data scrubbing options:
    dataScrubber: NotRequired[bool]
    dataScrubberDefaults: NotRequired[bool]
    scrubIPAddresses: NotRequired[bool]
    sensitiveFields: NotRequired[list[str]]
    safeFields: NotRequired[list[str]]
    relayPiiConfig: NotRequired[str | None]


def serialize_project(project: Project, access: OrgAccess, detailed: bool = False) -> ProjectBody:
    teams: list[ProjectTeamBody] = [{"id": str(t.id), "slug": t.slug, "name": t.name} for t in project.teams]
    body: ProjectBody = {
        "id": str(project.id),
        "slug": project.slug,
        "name": project.name,
        "platform": project.platform,
        "dateCreated": format_datetime(project.date_created),
        "status": project.status,
        "isMember": bool(project.team_ids & access.team_ids),
        "hasAccess": access.has_project_access(project),
        "isBookmarked": False,
        "features": sorted(project.features or ()),
        "teams": teams,
        "team": teams[0] if teams else None,
    }
    if detailed:
        body["organization"] = serialize_organization(access.organization)
        body.update(serialize_data_scrubbing(project))
    return body
