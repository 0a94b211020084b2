"""Users, organizations and teams as Sentry serializes them (ids are strings)."""

from __future__ import annotations

from typing_extensions import TypedDict

from shared.serializers.dates import format_datetime
from shared.storage.accounts import Organization, OrganizationMember, Team, User


class UserBody(TypedDict):
    id: str
    name: str
    username: str
    email: str | None
    isActive: bool
    dateJoined: str | None


class AuthBody(TypedDict):
    scopes: list[str]


class WhoAmIBody(TypedDict):
    """``GET /api/0/``: the caller and its scopes, both null for an anonymous caller."""

    user: UserBody | None
    auth: AuthBody | None


class MemberBody(TypedDict):
    id: str
    email: str | None
    name: str
    user: UserBody
    role: str
    orgRole: str
    roleName: str
    pending: bool
    expired: bool
    inviteStatus: str
    inviterName: None
    dateCreated: str | None


class OrganizationBody(TypedDict):
    id: str
    slug: str
    name: str
    dateCreated: str | None
    features: list[str]
    openMembership: bool


class TeamBody(TypedDict):
    id: str
    slug: str
    name: str
    dateCreated: str | None
    isMember: bool
    hasAccess: bool


def serialize_user(user: User) -> UserBody:
    return {
        "id": str(user.id),
        "name": user.name or user.username,
        "username": user.username,
        "email": user.email,
        "isActive": bool(user.is_active),
        "dateJoined": format_datetime(user.date_joined),
    }


def serialize_member(member: OrganizationMember, user: User) -> MemberBody:
    """Sentry's OrganizationMemberSerializer; a membership has no id of its own here, so a member is
    identified by its user's id (unique within an organization)."""
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name or user.username,
        "user": serialize_user(user),
        "role": member.role,
        "orgRole": member.role,
        "roleName": member.role.title(),
        "pending": False,
        "expired": False,
        "inviteStatus": "approved",
        "inviterName": None,
        "dateCreated": format_datetime(member.date_added),
    }


def serialize_organization(org: Organization) -> OrganizationBody:
    return {
        "id": str(org.id),
        "slug": org.slug,
        "name": org.name,
        "dateCreated": format_datetime(org.date_created),
        "features": sorted(org.features or []),
        "openMembership": bool(org.open_membership),
    }


def serialize_team(team: Team, is_member: bool = False) -> TeamBody:
    return {
        "id": str(team.id),
        "slug": team.slug,
        "name": team.name,
        "dateCreated": format_datetime(team.date_created),
        "isMember": is_member,
        "hasAccess": True,
    }
