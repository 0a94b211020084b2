"""Body of ``PUT /projects/{org}/{project}/``: only the fields this server stores are accepted."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ProjectUpdate(BaseModel):
    """``features`` replaces the project's settable feature flags, named as Sentry's project
    serializer lists them (``"discard-groups"``); absent leaves them as they are."""

    model_config = ConfigDict(extra="ignore")

    features: list[str] | None = None
