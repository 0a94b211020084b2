"""Organizations and their members."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from shared.accounts.creation import create_slugged
from shared.auth.scopes import ROLES
from shared.errors import BadRequest, ValidationFailed
from shared.slugs import SLUG_ERROR, SLUG_PATTERN
from shared.storage.accounts import AccountItem, Organization, OrganizationMember, Pointer
from shared.storage.base import condition_failed

ORG_SLUG_MAX = 50


def create_organization(name: str, slug: str, open_membership: bool = False) -> Organization:
    """Create an organization with exactly ``slug`` (409 if taken)."""
    if not SLUG_PATTERN.match(slug) or len(slug) > ORG_SLUG_MAX:
        raise ValidationFailed({"slug": [SLUG_ERROR]})

    def build(org_id: int, candidate: str) -> Organization:
        pk, sk = Organization.key(candidate)
        return Organization(
            pk=pk, sk=sk, id=org_id, slug=candidate, name=name, open_membership=open_membership
        )

    return create_slugged(
        build,
        Organization.id_key,
        lambda: iter([slug]),
        "An organization with this slug already exists.",
    )


def find_organization(id_or_slug: str) -> Organization | None:
    """By slug (one GetItem) or, for an all-digits value as Sentry allows, by id (two)."""
    try:
        if id_or_slug.isdecimal():
            pointer = Pointer.get(*Organization.id_key(int(id_or_slug)))
            return Organization.get(pointer.target_pk, pointer.target_sk)
        return Organization.get(*Organization.key(id_or_slug))
    except DoesNotExist:
        return None


def find_member(org_id: int, user_id: int) -> OrganizationMember | None:
    try:
        return OrganizationMember.get(*OrganizationMember.key(org_id, user_id))
    except DoesNotExist:
        return None


def list_members(org_id: int) -> list[OrganizationMember]:
    """Every member of the organization (one Query of its partition)."""
    pk, prefix = OrganizationMember.key(org_id, 0)[0], "MEMBER#"
    return list(OrganizationMember.query(pk, OrganizationMember.sk.startswith(prefix)))


def add_member(org: Organization, user_id: int, role: str = "member") -> OrganizationMember:
    """Make ``user_id`` a member of ``org`` with ``role`` (400 if already a member)."""
    if role not in ROLES:
        raise ValidationFailed({"role": [f"Invalid role: {role}"]})
    pk, sk = OrganizationMember.key(org.id, user_id)
    member = OrganizationMember(pk=pk, sk=sk, org_id=org.id, user_id=user_id, role=role)
    try:
        member.save(condition=AccountItem.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        raise BadRequest("This user is already a member of the organization.") from error
    return member


def join_team(member: OrganizationMember, team_id: int) -> None:
    """Add ``team_id`` to the member's teams with an atomic list append (no read-modify-write)."""
    if team_id in member.team_ids:
        return
    member.update(actions=[OrganizationMember.team_ids.set(OrganizationMember.team_ids.append([team_id]))])
