"""A user's notification options (Sentry's ``notification-options``), the subset that applies here:
user scope, types ``workflow`` and ``deploy``.

Defaults are Sentry's: ``workflow`` is ``subscribe_only`` (issues you are subscribed to) and
``deploy`` is ``committed_only`` (releases with your commits). ``always`` widens them to every issue
or release of your projects, ``never`` turns the kind off. Validation answers Sentry's messages."""

from __future__ import annotations

import zlib
from typing import Any

from shared.errors import ValidationFailed
from shared.storage.accounts import NotificationSettingOption
from shared.storage.base import batch_get

WORKFLOW = "workflow"
DEPLOY = "deploy"
ALWAYS, NEVER, SUBSCRIBE_ONLY, COMMITTED_ONLY = "always", "never", "subscribe_only", "committed_only"
# The values each type takes (Sentry's validate_value_v2) and its default.
CHOICES = {WORKFLOW: (ALWAYS, NEVER, SUBSCRIBE_ONLY), DEPLOY: (ALWAYS, NEVER, COMMITTED_ONLY)}
DEFAULTS = {WORKFLOW: SUBSCRIBE_ONLY, DEPLOY: COMMITTED_ONLY}
VALUES = (ALWAYS, NEVER, SUBSCRIBE_ONLY, COMMITTED_ONLY)
USER_SCOPE = "user"
REQUIRED = "This field is required."


def serialize_option(option: NotificationSettingOption) -> dict[str, Any]:
    """Sentry's NotificationSettingsOptionSerializer; the id is derived from the row's key (one row
    per user and type), so writing a choice needs no id sequence."""
    return {
        "id": str(zlib.crc32(f"{option.user_id}:{option.type}".encode())),
        "scopeType": USER_SCOPE,
        "scopeIdentifier": str(option.user_id),
        "type": option.type,
        "value": option.value,
        "user_id": str(option.user_id),
        "team_id": None,
    }


def check_type(value: str | None) -> str | None:
    """``?type=`` of the GET: None when absent; Sentry's 400 for a type not kept here."""
    if value is not None and value not in CHOICES:
        raise ValidationFailed({"type": ["Invalid type"]})
    return value


def list_options(user_id: int, type: str | None = None) -> list[NotificationSettingOption]:
    """The user's stored choices (defaults are not rows, as in Sentry): one BatchGetItem."""
    types = [type] if type else list(CHOICES)
    rows = batch_get(NotificationSettingOption, [NotificationSettingOption.key(user_id, t) for t in types])
    return sorted(rows, key=lambda row: row.type)


def _text(body: dict[str, Any], name: str, errors: dict[str, list[str]]) -> str | None:
    value = body.get(name)
    if value is None:
        errors[name] = [REQUIRED if name not in body else "This field may not be null."]
        return None
    if value == "":
        errors[name] = ["This field may not be blank."]
        return None
    if not isinstance(value, str):
        errors[name] = ["Not a valid string."]
        return None
    return value


def validate_option(body: dict[str, Any]) -> tuple[str, str]:
    """The (type, value) a PUT body (an object: ``shared.http`` refuses others) sets, or Sentry's
    serializer errors in one 400: each field's message, then ``Invalid type for value`` for a value
    the type does not take."""
    errors: dict[str, list[str]] = {}
    type_ = _text(body, "type", errors)
    scope_type = _text(body, "scopeType", errors)
    _text(body, "scopeIdentifier", errors)  # required; the scope is the user's own, as Sentry stores it
    value = _text(body, "value", errors)
    if type_ is not None and type_ not in CHOICES:
        errors["type"] = ["Invalid type"]
    if scope_type is not None and scope_type != USER_SCOPE:
        errors["scopeType"] = ["Invalid scope type"]
    if value is not None and value not in VALUES:
        errors["value"] = ["Invalid value"]
    if errors:
        raise ValidationFailed(errors)
    assert type_ is not None and value is not None
    if value not in CHOICES[type_]:
        raise ValidationFailed({"non_field_errors": ["Invalid type for value"]})
    return type_, value


def save_option(user_id: int, type: str, value: str) -> NotificationSettingOption:
    """Sentry's update_or_create: one PutItem over the user's row for the type."""
    pk, sk = NotificationSettingOption.key(user_id, type)
    option = NotificationSettingOption(pk=pk, sk=sk, user_id=user_id, type=type, value=value)
    option.save()
    return option


def choices_of(user_ids: set[int], type: str) -> dict[int, str]:
    """Each user's value for ``type`` (the default where none is stored): one BatchGetItem per 100."""
    keys = [NotificationSettingOption.key(user_id, type) for user_id in sorted(user_ids)]
    stored = {row.user_id: row.value for row in batch_get(NotificationSettingOption, keys)}
    return {user_id: stored.get(user_id, DEFAULTS[type]) for user_id in user_ids}
