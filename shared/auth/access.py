"""Who the caller is and what they may see: token → principal → organization access → projects.

Sentry never reveals what a caller may not see: an unknown organization and one the caller is not
a member of both answer 404; a missing scope on a visible organization answers 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from shared.accounts.organizations import find_member, find_organization
from shared.accounts.users import get_user
from shared.auth import cache
from shared.auth.scopes import ALL_SCOPES, GLOBAL_ACCESS_ROLES, ROLE_SCOPES
from shared.auth.tokens import find_token, hash_token
from shared.errors import InvalidToken, NotAuthenticated, NotFound, PermissionDenied
from shared.storage.accounts import ApiToken, Organization, OrganizationMember, Project, User


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user (through a user token, or an operator acting as that user)
    or an organization token. ``scopes`` are the token's; membership narrows them per organization."""

    kind: str  # "user" or "org"
    scopes: frozenset[str]
    user_id: int | None = None
    org_id: int | None = None

    @classmethod
    def from_token(cls, token: ApiToken) -> Principal:
        return cls(
            kind=token.token_kind,
            scopes=frozenset(token.scopes),
            user_id=token.user_id,
            org_id=token.org_id,
        )

    @classmethod
    def acting_user(cls, user_id: int) -> Principal:
        """An operator acting with everything the user's role allows (admin CLI, seeding)."""
        return cls(kind="user", scopes=ALL_SCOPES, user_id=user_id)

    @property
    def is_org_token(self) -> bool:
        return self.kind == "org"

    @cached_property
    def user(self) -> User | None:
        """The acting user, read on first use only (most requests never need it)."""
        return None if self.user_id is None else get_user(self.user_id)


def authenticate(authorization: str | None) -> Principal:
    """``Authorization: Bearer <token>`` → principal; 401 when absent or unknown."""
    if not authorization:
        raise NotAuthenticated()
    scheme, _, credential = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise NotAuthenticated()
    credential = credential.strip()
    if not credential:
        raise InvalidToken()
    principal = cache.tokens.get(hash_token(credential), lambda: _principal(credential))
    if principal is None:
        raise InvalidToken()
    return principal


def _principal(credential: str) -> Principal | None:
    token = find_token(credential)
    return None if token is None else Principal.from_token(token)


@dataclass
class OrgAccess:
    """A principal's standing in one organization: its effective scopes and project visibility."""

    principal: Principal
    organization: Organization
    member: OrganizationMember | None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def require(self, any_of: Iterable[str]) -> None:
        """403 unless the caller holds at least one of ``any_of``."""
        if not self.scopes & frozenset(any_of):
            raise PermissionDenied()

    def has_scope(self, any_of: Iterable[str]) -> bool:
        return bool(self.scopes & frozenset(any_of))

    @property
    def has_global_access(self) -> bool:
        """Org tokens, owners and managers, and everyone in an open-membership org see every project."""
        if self.member is None:
            return self.principal.is_org_token
        return self.member.role in GLOBAL_ACCESS_ROLES or bool(self.organization.open_membership)

    @property
    def team_ids(self) -> set[int]:
        return set() if self.member is None else set(self.member.team_ids)

    def has_team_access(self, team_id: int) -> bool:
        return self.has_global_access or team_id in self.team_ids

    def has_project_access(self, project: Project) -> bool:
        return project.org_id == self.organization.id and (
            self.has_global_access or bool(project.team_ids & self.team_ids)
        )

    def visible(self, projects: Iterable[Project]) -> list[Project]:
        return [p for p in projects if self.has_project_access(p)]


def organization_access(principal: Principal, id_or_slug: str) -> OrgAccess:
    """The caller's access to an organization; 404 when it does not exist or is not theirs."""
    organization = cache.organizations.get(id_or_slug, lambda: find_organization(id_or_slug))
    if organization is None:
        raise NotFound()
    if principal.is_org_token:
        if principal.org_id != organization.id:
            raise NotFound()
        return OrgAccess(principal, organization, None, principal.scopes)
    org_id, user_id = organization.id, principal.user_id or 0
    member = cache.members.get((org_id, user_id), lambda: find_member(org_id, user_id))
    if member is None:
        raise NotFound()
    scopes = principal.scopes & ROLE_SCOPES.get(member.role, frozenset())
    return OrgAccess(principal, organization, member, scopes)
