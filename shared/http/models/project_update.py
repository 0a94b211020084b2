"""Body of ``PUT /projects/{org}/{project}/``: only the fields this server stores are accepted."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, WithJsonSchema

from shared.http.models.fields import NotNull
from shared.http.models.issues import Flag  # DRF's BooleanField, documented as it reads
from shared.projects.data_scrubbing import MAX_SENSITIVE_FIELD_CHARS
from shared.projects.features import SETTABLE_FEATURES


def _sensitive_fields(value: list[str] | None) -> list[str] | None:
    if value is not None and sum(map(len, value)) > MAX_SENSITIVE_FIELD_CHARS:
        raise ValueError("List of sensitive fields is too long.")
    return value


def _safe_fields(value: list[str] | None) -> list[str] | None:
    """Each entry is one of Relay's selectors, checked by Relay; the errors as Sentry joins them."""
    if not value:
        return value
    from sentry_relay.processing import validate_pii_selector

    errors = []
    for line, selector in enumerate(value, start=1):
        try:
            validate_pii_selector(selector)
        except ValueError as error:
            errors.append(f"{error} (line {line})".capitalize())
    if errors:
        raise ValueError(",\n".join(errors))
    return value


def _pii_config(value: str | None) -> str | None:
    """Advanced data scrubbing rules: Relay's PII configuration as JSON text, checked by Relay."""
    if not value:
        return value
    from sentry_relay.processing import validate_pii_config

    validate_pii_config(value)  # its ValueError carries Relay's message
    return value


Fields = list[Annotated[str, StringConstraints(min_length=1)]]
_STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string", "minLength": 1}}


class ProjectUpdate(BaseModel):
    """``features`` replaces the project's settable feature flags, named as Sentry's project
    serializer lists them (``"discard-groups"``); absent leaves them as they are. The data scrubbing
    options are Sentry's (``shared.projects.data_scrubbing``); each absent one stays as it is."""

    model_config = ConfigDict(extra="ignore")

    features: Annotated[
        list[str] | None,
        NotNull,
        WithJsonSchema({"type": "array", "items": {"enum": sorted(SETTABLE_FEATURES)}}),
    ] = None
    dataScrubber: Flag = None
    dataScrubberDefaults: Flag = None
    scrubIPAddresses: Flag = None
    sensitiveFields: Annotated[
        Fields | None, NotNull, AfterValidator(_sensitive_fields), WithJsonSchema(_STRINGS)
    ] = None
    safeFields: Annotated[Fields | None, NotNull, AfterValidator(_safe_fields), WithJsonSchema(_STRINGS)] = (
        None
    )
    relayPiiConfig: Annotated[str | None, AfterValidator(_pii_config)] = None

    def data_scrubbing(self) -> dict[str, Any]:
        """The data scrubbing options sent (Sentry ignores a null advanced configuration)."""
        names = ("dataScrubber", "dataScrubberDefaults", "scrubIPAddresses", "sensitiveFields", "safeFields")
        changes = {name: getattr(self, name) for name in names if getattr(self, name) is not None}
        if self.relayPiiConfig is not None:
            changes["relayPiiConfig"] = self.relayPiiConfig
        return changes
