"""Bodies of the team and project endpoints (Sentry's ProjectSerializer / TeamSerializer limits)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.slugs import SLUG_ERROR, SLUG_PATTERN

NAME_MAX = 50
SLUG_MAX = 50


def _check_slug(value: str | None) -> str | None:
    if value is not None and not SLUG_PATTERN.match(value):
        raise ValueError(SLUG_ERROR)
    return value


class ProjectCreate(BaseModel):
    """``POST /teams/{org}/{team}/projects/``: the slug is derived from the name when absent."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=NAME_MAX)
    slug: str | None = Field(default=None, max_length=SLUG_MAX)
    platform: str | None = Field(default=None, max_length=64)

    _slug = field_validator("slug")(_check_slug)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("This field may not be blank.")
        return value


class TeamCreate(BaseModel):
    """``POST /organizations/{org}/teams/``: a name or a slug is required."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, max_length=64)
    slug: str | None = Field(default=None, max_length=SLUG_MAX)

    _slug = field_validator("slug")(_check_slug)
