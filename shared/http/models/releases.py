"""Bodies of the release endpoints: Sentry's ReleaseSerializer (PUT) and ReleaseSerializerWithProjects
(POST), field by field, so a bad body is refused before anything is written."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.http.models.fields import DateTimeText, NotNull, UrlText
from shared.releases.commits import CommitInput
from shared.releases.refs import Ref
from shared.releases.service import ReleaseChanges
from shared.releases.versions import (
    MAX_COMMIT_LENGTH,
    MAX_VERSION_LENGTH,
    is_valid_version,
    split_commit_range,
)

PATCH_PATH_MAX = 510


class PatchSetEntry(BaseModel):
    path: str = Field(min_length=1, max_length=PATCH_PATH_MAX)
    type: str = Field(max_length=1, json_schema_extra={"enum": ["A", "M", "D"]})

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in {"A", "M", "D"}:
            raise ValueError(f"Commit patch_set type {value} is not supported.")
        return value


class CommitIn(BaseModel):
    """One element of ``commits`` (Sentry's CommitSerializer)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=MAX_COMMIT_LENGTH)
    repository: str | None = Field(default=None, max_length=200)
    message: str | None = None
    author_name: str | None = Field(default=None, max_length=128)
    author_email: str | None = Field(default=None, max_length=75)
    timestamp: DateTimeText | None = None
    patch_set: list[PatchSetEntry] | None = None


class RefIn(BaseModel):
    """One element of ``refs``: what sentry-cli's ``set-commits --commit REPO@[FROM..]TO`` sends."""

    model_config = ConfigDict(extra="ignore")

    repository: str = Field(min_length=1, max_length=200)
    commit: str = Field(min_length=1)
    previousCommit: str | None = Field(default=None, max_length=MAX_COMMIT_LENGTH)

    @field_validator("commit")
    @classmethod
    def _commit_or_range(cls, value: str) -> str:
        split_commit_range(value)
        return value


class HeadCommitIn(BaseModel):
    """Deprecated ``headCommits`` entry, converted to a ref."""

    model_config = ConfigDict(extra="ignore")

    currentId: str = Field(min_length=1, max_length=MAX_COMMIT_LENGTH)
    repository: str = Field(min_length=1, max_length=MAX_COMMIT_LENGTH)
    previousId: str | None = Field(default=None, max_length=MAX_COMMIT_LENGTH)

    def as_ref(self) -> Ref:
        return Ref(repository=self.repository, commit=self.currentId, previous_commit=self.previousId)


class ReleaseUpdate(BaseModel):
    """``PUT …/releases/{version}/``: only submitted fields change; unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")

    ref: str | None = Field(default=None, max_length=MAX_VERSION_LENGTH)
    url: UrlText | None = None
    dateReleased: DateTimeText | None = None
    status: str | None = Field(default=None, json_schema_extra={"enum": ["open", "archived", None]})
    commits: Annotated[list[CommitIn] | None, NotNull] = None
    refs: Annotated[list[RefIn] | None, NotNull] = None
    headCommits: Annotated[list[HeadCommitIn] | None, NotNull] = None
    projects: Annotated[list[str | int] | None, NotNull] = None

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None) -> str | None:
        if value is not None and value not in {"open", "archived"}:
            raise ValueError(f"Invalid status {value}")
        return value

    def effective_refs(self) -> list[Ref]:
        """``refs`` when given non-empty, else the ``headCommits`` converted (Sentry's order)."""
        if self.refs:
            return [Ref(r.repository, r.commit, r.previousCommit or None) for r in self.refs]
        return [head.as_ref() for head in self.headCommits or []]

    @property
    def clears_commits(self) -> bool:
        """Exactly ``"refs": []`` (with no headCommits) clears the release's commits."""
        return "refs" in self.model_fields_set and self.refs == [] and not self.headCommits

    def to_changes(self) -> ReleaseChanges:
        commits = [
            CommitInput(
                id=c.id,
                repository=c.repository or None,
                message=c.message,
                author_name=c.author_name or None,
                author_email=c.author_email or None,
                timestamp=c.timestamp,
                patch_set=[p.model_dump() for p in c.patch_set or []],
            )
            for c in self.commits or []
        ]
        return ReleaseChanges(
            ref=self.ref,
            url=self.url,
            date_released=self.dateReleased,
            date_started=getattr(self, "dateStarted", None),
            status=self.status,
            commits=commits or None,
            refs=self.effective_refs() or None,
            clear_commits=self.clears_commits,
            projects=self.projects,
        )


class ReleaseCreate(ReleaseUpdate):
    """``POST …/releases/``: an idempotent upsert by version."""

    version: str = Field(min_length=1, max_length=MAX_VERSION_LENGTH)
    projects: Annotated[list[str | int], NotNull]
    dateStarted: DateTimeText | None = None

    @field_validator("version")
    @classmethod
    def _allowed_version(cls, value: str) -> str:
        if not is_valid_version(value):
            raise ValueError(f"Release with name {value} is not allowed")
        return value
