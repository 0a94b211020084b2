"""Body of ``PUT /projects/{org}/{project}/``: only the fields this server stores are accepted."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from shared.http.models.fields import NotNull
from shared.projects.features import SETTABLE_FEATURES


class ProjectUpdate(BaseModel):
    """``features`` replaces the project's settable feature flags, named as Sentry's project
    serializer lists them (``"discard-groups"``); absent leaves them as they are."""

    model_config = ConfigDict(extra="ignore")

    features: Annotated[
        list[str] | None,
        NotNull,
        WithJsonSchema({"type": "array", "items": {"enum": sorted(SETTABLE_FEATURES)}}),
    ] = None
