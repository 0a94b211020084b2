"""Body of a user's notification option PUT, as the OpenAPI document shows it. It accepts anything
of the fields' names: ``shared.notifications.settings.validate_option`` answers Sentry's messages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class NotificationOptionBody(BaseModel):
    """One choice: ``type`` (``workflow`` or ``deploy``), ``scopeType`` (``user``),
    ``scopeIdentifier`` (the user's id) and ``value`` (``always``, ``never``, ``subscribe_only`` for
    workflow, ``committed_only`` for deploy)."""

    model_config = ConfigDict(extra="allow")

    type: Any = None
    scopeType: Any = None
    scopeIdentifier: Any = None
    value: Any = None
