"""Body of ``POST …/releases/{version}/deploys/`` (Sentry's DeploySerializer)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.http.models.fields import DateTimeText, NotNull, UrlText
from shared.releases.deploys import ENVIRONMENT_MAX_LENGTH, DeployInput, is_valid_environment


class DeployCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    environment: str = Field(min_length=1, max_length=ENVIRONMENT_MAX_LENGTH)
    name: str | None = Field(default=None, max_length=64)
    url: UrlText | None = None
    dateStarted: DateTimeText | None = None
    dateFinished: DateTimeText | None = None
    projects: Annotated[list[str | int] | None, NotNull] = None

    @field_validator("environment")
    @classmethod
    def _valid_environment(cls, value: str) -> str:
        if not is_valid_environment(value):
            raise ValueError("Invalid value for environment")
        return value

    @field_validator("projects")
    @classmethod
    def _not_empty(cls, value: list[str | int] | None) -> list[str | int] | None:
        if value is not None and not value:
            raise ValueError("This list may not be empty.")
        return value

    def to_input(self) -> DeployInput:
        return DeployInput(
            environment=self.environment,
            name=self.name,
            url=self.url,
            date_started=self.dateStarted,
            date_finished=self.dateFinished,
            projects=self.projects,
        )
