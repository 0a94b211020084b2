"""Teams of an organization: slug from the name, unique per organization by conditional write."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from shared.accounts.creation import create_slugged
from shared.accounts.organizations import join_team
from shared.auth.access import OrgAccess
from shared.auth.scopes import TEAM_READ, TEAM_WRITE
from shared.errors import NotFound
from shared.slugs import base_slug, slug_candidates
from shared.storage.accounts import Team

TEAM_SLUG_MAX = 50


def create_team(access: OrgAccess, name: str | None, slug: str | None) -> Team:
    """Create a team named ``name``; a given slug must be free (409), a derived one gets a suffix.

    The creating user joins the team, as in Sentry, so they can reach its projects.
    """
    access.require(TEAM_WRITE)
    org_id = access.organization.id
    label = name or slug or ""

    def candidates():
        if slug:
            return iter([slug])
        return slug_candidates(base_slug(label, TEAM_SLUG_MAX), TEAM_SLUG_MAX)

    def build(team_id: int, candidate: str) -> Team:
        pk, sk = Team.key(org_id, candidate)
        return Team(pk=pk, sk=sk, id=team_id, org_id=org_id, slug=candidate, name=name or candidate)

    team = create_slugged(build, Team.id_key, candidates, "A team with this slug already exists.")
    if access.member is not None:
        join_team(access.member, team.id)
    return team


def get_team(access: OrgAccess, slug: str) -> Team:
    """A team the caller may see (404 otherwise)."""
    access.require(TEAM_READ | {"project:write", "project:admin"})
    try:
        return Team.get(*Team.key(access.organization.id, slug))
    except DoesNotExist:
        raise NotFound() from None


def list_teams(access: OrgAccess) -> list[Team]:
    """Every team of the organization, by slug (one Query on the organization's partition)."""
    access.require(TEAM_READ)
    pk, prefix = Team.key(access.organization.id, "")
    return list(Team.query(pk, Team.sk.startswith(prefix)))
