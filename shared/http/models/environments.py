"""Body of ``PUT /api/0/projects/{org}/{project}/environments/{name}/`` (Sentry's
EnvironmentSerializer: ``isHidden``, required)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, StrictBool


class EnvironmentUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    isHidden: StrictBool
