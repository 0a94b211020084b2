"""The accounts table: organizations, users, members, teams, projects, tokens.

One table, polymorphic by ``kind``. Entities are stored under the key they are looked up by
(an organization by slug, a project by ``(org, slug)``, a token by its hash) and every other
unique key they have gets a ``Pointer`` item. Creating an entity writes the entity and its
pointers in one transaction with ``attribute_not_exists`` conditions, so uniqueness of slugs,
usernames and snowflake ids is enforced by DynamoDB, never by read-then-write.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from shared.config import settings
from shared.storage.base import TableModel, table_meta, utcnow
from shared.storage.integers import IntegerAttribute


class AccountItem(TableModel):
    """Base of every item in the accounts table; ``kind`` picks the subclass on reads."""

    Meta = table_meta(settings().accounts_table)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()


class Pointer(AccountItem, discriminator="pointer"):
    """A secondary unique key (id, username, email) pointing at the entity's primary key."""

    target_pk = UnicodeAttribute()
    target_sk = UnicodeAttribute()


class Organization(AccountItem, discriminator="org"):
    id = IntegerAttribute()
    slug = UnicodeAttribute()
    name = UnicodeAttribute()
    open_membership = BooleanAttribute(default=False)
    features = UnicodeSetAttribute(null=True)
    date_created = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(slug: str) -> tuple[str, str]:
        return f"ORGSLUG#{slug}", "ORG"

    @staticmethod
    def id_key(org_id: int) -> tuple[str, str]:
        return f"ORG#{org_id}", "ORG"


class User(AccountItem, discriminator="user"):
    id = IntegerAttribute()
    username = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    is_active = BooleanAttribute(default=True)
    date_joined = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(user_id: int) -> tuple[str, str]:
        return f"USER#{user_id}", "USER"

    @staticmethod
    def username_key(username: str) -> tuple[str, str]:
        return f"USERNAME#{username.lower()}", "USERNAME"

    @staticmethod
    def email_key(email: str) -> tuple[str, str]:
        return f"USEREMAIL#{email.lower()}", "USEREMAIL"


class OrganizationMember(AccountItem, discriminator="member"):
    """A user's membership: role and the teams (by id) that give access to projects."""

    org_id = IntegerAttribute()
    user_id = IntegerAttribute()
    role = UnicodeAttribute(default="member")
    team_ids = ListAttribute(of=IntegerAttribute, default=list)
    date_added = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(org_id: int, user_id: int) -> tuple[str, str]:
        return f"ORG#{org_id}", f"MEMBER#{user_id}"


class Team(AccountItem, discriminator="team"):
    id = IntegerAttribute()
    org_id = IntegerAttribute()
    slug = UnicodeAttribute()
    name = UnicodeAttribute()
    date_created = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(org_id: int, slug: str) -> tuple[str, str]:
        return f"ORG#{org_id}", f"TEAM#{slug}"

    @staticmethod
    def id_key(team_id: int) -> tuple[str, str]:
        return f"TEAM#{team_id}", "TEAM"


class TeamRef(MapAttribute):
    """A team as a project shows it; copied into the project so reading it is one request."""

    id = IntegerAttribute()
    slug = UnicodeAttribute()
    name = UnicodeAttribute()


class Project(AccountItem, discriminator="project"):
    id = IntegerAttribute()
    org_id = IntegerAttribute()
    slug = UnicodeAttribute()
    name = UnicodeAttribute()
    platform = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")  # or "pending_deletion": answers 404 from then on
    teams = ListAttribute(of=TeamRef, default=list)
    features = UnicodeSetAttribute(null=True)  # per-project flags, e.g. "discard-groups"
    date_created = UTCDateTimeAttribute(default=utcnow)
    # Sentry's data scrubbing options (shared.projects.data_scrubbing); absent: Sentry's default.
    scrub_data = BooleanAttribute(null=True)
    scrub_defaults = BooleanAttribute(null=True)
    scrub_ip_address = BooleanAttribute(null=True)
    sensitive_fields = ListAttribute(of=UnicodeAttribute, null=True)
    safe_fields = ListAttribute(of=UnicodeAttribute, null=True)
    relay_pii_config = UnicodeAttribute(null=True)

    @staticmethod
    def key(org_id: int, slug: str) -> tuple[str, str]:
        return f"ORG#{org_id}", f"PROJECT#{slug}"

    @staticmethod
    def id_key(project_id: int) -> tuple[str, str]:
        return f"PROJECT#{project_id}", "PROJECT"

    @property
    def team_ids(self) -> set[int]:
        return {team.id for team in self.teams}


class ApiToken(AccountItem, discriminator="token"):
    """An API token, stored under the SHA-256 of its text: the clear value is never kept."""

    token_kind = UnicodeAttribute()  # "user" or "org"
    user_id = IntegerAttribute(null=True)
    org_id = IntegerAttribute(null=True)
    scopes = UnicodeSetAttribute()
    name = UnicodeAttribute(default="")
    token_last_characters = UnicodeAttribute(default="")
    date_created = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(token_hash: str) -> tuple[str, str]:
        return f"TOKEN#{token_hash}", "TOKEN"


class ProjectKey(AccountItem, discriminator="project_key"):
    """A DSN key of a project (Sentry's ProjectKey), stored under its public key: every ingested
    event authenticates with one GetItem. A ``Pointer`` at ``list_key`` lists a project's keys."""

    id = IntegerAttribute()
    project_id = IntegerAttribute()
    org_id = IntegerAttribute()
    public_key = UnicodeAttribute()
    secret_key = UnicodeAttribute()
    label = UnicodeAttribute(default="Default")
    is_active = BooleanAttribute(default=True)
    date_created = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(public_key: str) -> tuple[str, str]:
        return f"PROJECTKEY#{public_key}", "PROJECTKEY"

    @staticmethod
    def list_key(project_id: int, public_key: str) -> tuple[str, str]:
        return f"PROJECT#{project_id}", f"KEY#{public_key}"


class NotificationSettingOption(AccountItem, discriminator="notification_setting"):
    """A user's choice for one kind of notification (Sentry's NotificationSettingOption, user scope):
    kept beside the user, so the notifier reads a recipient's choices with one BatchGetItem."""

    user_id = IntegerAttribute()
    type = UnicodeAttribute()  # "workflow" or "deploy"
    value = UnicodeAttribute()  # "always", "never", "subscribe_only", "committed_only"

    @staticmethod
    def key(user_id: int, type: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"NOTIFY#{type}"
