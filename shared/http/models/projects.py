"""Bodies of the team and project endpoints (Sentry's ProjectSerializer / TeamSerializer limits)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.slugs import SLUG_ERROR, SLUG_PATTERN, SLUG_SCHEMA_PATTERN

NAME_MAX = 50
# Documented rules the validators below apply: a slug's characters, a name not only blanks.
SLUG_RULE = {"pattern": SLUG_SCHEMA_PATTERN}
NOT_BLANK = {"pattern": "\\S"}
SLUG_MAX = 50


def _check_slug(value: str | None) -> str | None:
    if value is not None and not SLUG_PATTERN.match(value):
        raise ValueError(SLUG_ERROR)
    return value


class ProjectCreate(BaseModel):
    """``POST /teams/{org}/{team}/projects/``: the slug is derived from the name when absent."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=NAME_MAX, json_schema_extra=NOT_BLANK)
    slug: str | None = Field(default=None, max_length=SLUG_MAX, json_schema_extra=SLUG_RULE)
    platform: str | None = Field(default=None, max_length=64)
    # Sentry's: the project gets its default issue alert rule unless told not to
    default_rules: bool = Field(default=True, strict=True)

    _slug = field_validator("slug")(_check_slug)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("This field may not be blank.")
        return value


class TeamCreate(BaseModel):
    """``POST /organizations/{org}/teams/``: a name or a slug is required."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "anyOf": [
                {"required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}},
                {"required": ["slug"], "properties": {"slug": {"type": "string", "minLength": 1}}},
            ]
        },
    )

    name: str | None = Field(default=None, max_length=64)
    slug: str | None = Field(default=None, max_length=SLUG_MAX, json_schema_extra=SLUG_RULE)

    _slug = field_validator("slug")(_check_slug)
