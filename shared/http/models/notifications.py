"""Body of a user's notification option PUT, as the OpenAPI document shows it. The fields are
read as they come: ``shared.notifications.settings.validate_option`` answers Sentry's messages; the
schema states what it accepts (each type's values, the user scope)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from shared.notifications.settings import CHOICES, USER_SCOPE, VALUES


def _values_per_type(schema: dict[str, Any]) -> None:
    """Documents ``Invalid type for value``: each type takes its own values."""
    schema["oneOf"] = [
        {"properties": {"type": {"const": kind}, "value": {"enum": list(values)}}}
        for kind, values in sorted(CHOICES.items())
    ]


class NotificationOptionBody(BaseModel):
    """One choice: ``type`` (``workflow`` or ``deploy``), ``scopeType`` (``user``),
    ``scopeIdentifier`` (the user's id) and ``value`` (``always``, ``never``, ``subscribe_only`` for
    workflow, ``committed_only`` for deploy)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_values_per_type)

    type: Annotated[Any, WithJsonSchema({"type": "string", "enum": sorted(CHOICES)})]
    scopeType: Annotated[Any, WithJsonSchema({"type": "string", "enum": [USER_SCOPE]})]
    scopeIdentifier: Annotated[Any, WithJsonSchema({"type": "string", "minLength": 1})]
    value: Annotated[Any, WithJsonSchema({"type": "string", "enum": list(VALUES)})]
