"""The releases table: releases with their project links, release-commits and head commits, and the
rows releases share (repositories, commit authors, commits).

A release and its children live in ``pk = RELEASE#<org_id>#<version>``, so reading or clearing a
release's commits is one Query. Shared rows are keyed by their natural keys (repository name,
author email, repository + sha) so get-or-create is a conditional put and many are found with one
BatchGetItem. GSI ``by_date`` lists an organization's (or a project's) releases newest first.
"""

from __future__ import annotations

import hashlib

from pynamodb.attributes import (
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from shared.config import settings
from shared.storage.base import TableModel, table_meta, utcnow
from shared.storage.integers import IntegerAttribute


class ByDate(GlobalSecondaryIndex):
    """``gsi1pk`` = ``ORG#<id>`` (releases) or ``PROJECT#<id>`` (release-project links) or
    ``REPO#<id>`` (commits) or ``COMMIT#<id>`` (the release-commit rows of one commit, i.e. the
    releases containing it); ``gsi1sk`` = ISO date + ``#`` + natural key: newest first on reverse."""

    class Meta:
        index_name = "by_date"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ReleaseItem(TableModel):
    """Base of every item in the releases table; ``kind`` picks the subclass on reads."""

    Meta = table_meta(settings().releases_table)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_date = ByDate()


def release_pk(org_id: int, version: str) -> str:
    return f"RELEASE#{org_id}#{version}"


def version_of(pk: str) -> str:
    """The version in a release partition key (``RELEASE#<org>#<version>``; a version may hold ``#``)."""
    return pk.split("#", 2)[2]


class CommitRef(MapAttribute):
    """A commit as a release shows it (``lastCommit``): enough to serialize without another read."""

    id = IntegerAttribute()
    key = UnicodeAttribute()
    repository_id = IntegerAttribute()
    message = UnicodeAttribute(null=True)
    author_email = UnicodeAttribute(null=True)
    author_name = UnicodeAttribute(null=True)
    date_added = UTCDateTimeAttribute(null=True)
    file_count = IntegerAttribute(null=True)  # file changes stored for the commit (its patch_set)


class AuthorRef(MapAttribute):
    id = IntegerAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute(null=True)


class DeployRef(MapAttribute):
    """A deploy as a release shows it (``lastDeploy``), copied in so the release reads in one GetItem."""

    id = IntegerAttribute()
    environment = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)
    date_started = UTCDateTimeAttribute(null=True)
    date_finished = UTCDateTimeAttribute()


class Release(ReleaseItem, discriminator="release"):
    id = IntegerAttribute()
    org_id = IntegerAttribute()
    version = UnicodeAttribute()
    version_lower = UnicodeAttribute()  # for the case-insensitive ``query`` filter
    ref = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)
    status = IntegerAttribute(default=0)  # ReleaseStatus: OPEN 0, ARCHIVED 1
    owner_id = IntegerAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    project_ids = NumberSetAttribute(default=set)
    date_added = UTCDateTimeAttribute(default=utcnow)
    date_started = UTCDateTimeAttribute(null=True)
    date_released = UTCDateTimeAttribute(null=True)
    commit_count = IntegerAttribute(default=0)
    last_commit = CommitRef(null=True)
    authors = ListAttribute(of=AuthorRef, default=list)
    commits_locked_until = IntegerAttribute(null=True)  # lease of set_commits (epoch seconds)
    total_deploys = IntegerAttribute(default=0)
    first_event = UTCDateTimeAttribute(null=True)  # the oldest and newest events that carried it
    last_event = UTCDateTimeAttribute(null=True)
    last_deploy = DeployRef(null=True)

    @staticmethod
    def key(org_id: int, version: str) -> tuple[str, str]:
        return release_pk(org_id, version), "RELEASE"

    def links_project(self, project_id: int) -> bool:
        return int(project_id) in {int(p) for p in self.project_ids or ()}


class ReleaseProject(ReleaseItem, discriminator="release_project"):
    """Links a release to a project; indexed by project so a project's releases list by date."""

    release_id = IntegerAttribute()
    project_id = IntegerAttribute()
    new_groups = IntegerAttribute(default=0)

    @staticmethod
    def key(org_id: int, version: str, project_id: int) -> tuple[str, str]:
        return release_pk(org_id, version), f"PROJECT#{project_id}"

    @staticmethod
    def project_index_pk(project_id: int) -> str:
        """``by_date`` partition of a project's links: the project's releases by date added."""
        return f"PROJECT#{project_id}"


class ReleaseActivity(ReleaseItem, discriminator="release_activity"):
    """Activity RELEASE of one project, written when the release is first released
    (``../shared/contract/decisions.md`` 9)."""

    type = IntegerAttribute()
    project_id = IntegerAttribute()
    ident = UnicodeAttribute()
    data = MapAttribute(default=dict)
    datetime = UTCDateTimeAttribute()

    @staticmethod
    def key(org_id: int, version: str, project_id: int) -> tuple[str, str]:
        return release_pk(org_id, version), f"ACTIVITY#{project_id}"


class Deploy(ReleaseItem, discriminator="deploy"):
    """One deploy of a release to an environment (``sentry-cli deploys new``)."""

    id = IntegerAttribute()
    environment = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)
    date_started = UTCDateTimeAttribute(null=True)
    date_finished = UTCDateTimeAttribute()
    project_ids = NumberSetAttribute(null=True)

    @staticmethod
    def key(org_id: int, version: str, deploy_id: int) -> tuple[str, str]:
        return release_pk(org_id, version), f"DEPLOY#{deploy_id:012d}"

    def as_ref(self) -> DeployRef:
        return DeployRef(
            id=self.id,
            environment=self.environment,
            name=self.name,
            url=self.url,
            date_started=self.date_started,
            date_finished=self.date_finished,
        )


class ReleaseProjectEnvironment(ReleaseItem, discriminator="release_project_environment"):
    """A release seen in one environment of one project, with that pair's newest deploy (Sentry's
    ReleaseProjectEnvironment): the deploys list and the ``environment`` filters read these."""

    project_id = IntegerAttribute()
    environment = UnicodeAttribute()
    last_deploy_id = IntegerAttribute(null=True)

    @staticmethod
    def key(org_id: int, version: str, project_id: int, environment: str) -> tuple[str, str]:
        return release_pk(org_id, version), f"ENV#{project_id}#{environment}"

    @staticmethod
    def index_pk(project_id: int, environment: str) -> str:
        """``by_date`` partition of the releases seen in one environment of a project."""
        return f"PROJECTENV#{project_id}#{environment}"


class ReleaseCommit(ReleaseItem, discriminator="release_commit"):
    """One commit of a release's log, in order (0 = newest), with the commit copied in."""

    order = IntegerAttribute()
    commit = CommitRef()
    repository_name = UnicodeAttribute()

    @staticmethod
    def key(org_id: int, version: str, order: int) -> tuple[str, str]:
        return release_pk(org_id, version), f"COMMIT#{order:08d}"

    @staticmethod
    def commit_index_pk(commit_id: int) -> str:
        """``by_date`` partition of a commit's release rows; their sort key is the release's."""
        return f"COMMIT#{commit_id}"


class ReleaseHeadCommit(ReleaseItem, discriminator="release_head_commit"):
    """The newest commit of a release in one repository."""

    repository_id = IntegerAttribute()
    repository_name = UnicodeAttribute()
    commit_id = IntegerAttribute()
    commit_key = UnicodeAttribute()

    @staticmethod
    def key(org_id: int, version: str, repository_id: int) -> tuple[str, str]:
        return release_pk(org_id, version), f"HEAD#{repository_id}"


class Repository(ReleaseItem, discriminator="repository"):
    """A repository of an organization, unique by name."""

    id = IntegerAttribute()
    org_id = IntegerAttribute()
    name = UnicodeAttribute()
    url = UnicodeAttribute(null=True)
    provider = UnicodeAttribute(null=True)
    external_slug = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")
    date_created = UTCDateTimeAttribute(default=utcnow)

    @staticmethod
    def key(org_id: int, name: str) -> tuple[str, str]:
        return f"ORG#{org_id}", f"REPO#{name}"


class CommitAuthor(ReleaseItem, discriminator="commit_author"):
    id = IntegerAttribute()
    org_id = IntegerAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute(null=True)

    @staticmethod
    def key(org_id: int, email: str) -> tuple[str, str]:
        return f"ORG#{org_id}", f"AUTHOR#{email}"


class Commit(ReleaseItem, discriminator="commit"):
    """A commit, shared by every release that contains it; ``resolves`` are the groups its message
    references ("Fixes PROJ-12") and ``fixed_groups`` those resolved in it by an issue update, so
    resolving a release's groups needs no extra lookup."""

    id = IntegerAttribute()
    org_id = IntegerAttribute()
    repository_id = IntegerAttribute()
    key = UnicodeAttribute(attr_name="commit_key")
    message = UnicodeAttribute(null=True)
    author_id = IntegerAttribute(null=True)
    author_email = UnicodeAttribute(null=True)
    author_name = UnicodeAttribute(null=True)
    date_added = UTCDateTimeAttribute(default=utcnow)
    resolves = NumberSetAttribute(null=True)
    fixed_groups = NumberSetAttribute(null=True)  # groups an issue update resolved "in this commit"
    file_count = IntegerAttribute(null=True)

    @staticmethod
    def item_key(repository_id: int, key: str) -> tuple[str, str]:
        return f"REPO#{repository_id}", f"COMMIT#{key}"

    def as_ref(self) -> CommitRef:
        return CommitRef(
            id=self.id,
            key=self.key,
            repository_id=self.repository_id,
            message=self.message,
            author_email=self.author_email,
            author_name=self.author_name,
            date_added=self.date_added,
            file_count=self.file_count,
        )


class CommitFileChange(ReleaseItem, discriminator="commit_file_change"):
    """One file a commit added, modified or deleted (its ``patch_set``), beside the commit. The path
    (up to 510 characters) is hashed into the key so any path fits DynamoDB's key size."""

    id = IntegerAttribute()
    org_id = IntegerAttribute()
    commit_id = IntegerAttribute()
    filename = UnicodeAttribute()
    type = UnicodeAttribute()  # A, M or D

    @staticmethod
    def key(repository_id: int, commit_key: str, filename: str) -> tuple[str, str]:
        digest = hashlib.sha256(filename.encode()).hexdigest()[:32]
        return f"REPO#{repository_id}", f"{CommitFileChange.prefix(commit_key)}{digest}"

    @staticmethod
    def prefix(commit_key: str) -> str:
        return f"FILE#{commit_key}#"
