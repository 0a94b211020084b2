"""Body of ``POST /organizations/{org}/repos/``: a repository by name, with an optional web URL and
provider id (Sentry's Repository limits: name and url up to 200 characters, provider up to 64)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.http.models.fields import UrlText

NAME_MAX = 200
PROVIDER_MAX = 64


class RepositoryCreate(BaseModel):
    """Leading and trailing blanks of the name are dropped (DRF's CharField trims): sentry-cli matches
    ``--commit NAME@SHA`` against listed names, so a stray space would make the repository unusable."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=NAME_MAX, json_schema_extra={"pattern": "\\S"})
    url: UrlText | None = None
    provider: str | None = Field(default=None, max_length=PROVIDER_MAX)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("This field may not be blank.")
        return value.strip()
