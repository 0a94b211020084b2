"""Body of ``POST /organizations/{org}/repos/``: a repository by name, with an optional web URL and
provider id (Sentry's Repository limits: name and url up to 200 characters, provider up to 64)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

NAME_MAX = 200
URL_MAX = 200
PROVIDER_MAX = 64

# DRF's URLField shape, limited to http(s): a repository's URL is a page to open.
_WEB_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def _web_url(value: str) -> str:
    if not _WEB_URL.match(value):
        raise ValueError("Enter a valid URL.")
    return value


# The length is checked on the text itself (before the URL check), so the error is DRF's wording.
WebUrl = Annotated[str, StringConstraints(max_length=URL_MAX), AfterValidator(_web_url)]


class RepositoryCreate(BaseModel):
    """Leading and trailing blanks of the name are dropped (DRF's CharField trims): sentry-cli matches
    ``--commit NAME@SHA`` against listed names, so a stray space would make the repository unusable."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=NAME_MAX)
    url: WebUrl | None = None
    provider: str | None = Field(default=None, max_length=PROVIDER_MAX)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("This field may not be blank.")
        return value.strip()
