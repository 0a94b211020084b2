"""A project's data scrubbing options, named and defaulted as Sentry's project options: scrubbing on
(``sentry:scrub_data``) with Sentry's default rules (``sentry:scrub_defaults``), IP addresses kept
(``sentry:scrub_ip_address``), no extra sensitive or safe fields, no advanced rules
(``sentry:relay_pii_config``). The processor turns them into Relay's PII configuration
(``shared.events.scrubbing``); the project details answer and accept them under Sentry's names.

Each option is an attribute of its own on the project item, set by its own update action: two
administrators changing different options at once both keep their change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.storage.accounts import Project

# Sentry's limit on the sensitive fields' total length: Relay compiles them into one regex.
MAX_SENSITIVE_FIELD_CHARS = 4000


@dataclass(frozen=True)
class DataScrubbing:
    """The options as Sentry's ``get_datascrubbing_settings`` reads them for a project."""

    scrub_data: bool = True
    scrub_defaults: bool = True
    scrub_ip_addresses: bool = False
    sensitive_fields: tuple[str, ...] = ()
    safe_fields: tuple[str, ...] = ()
    relay_pii_config: str | None = None


def data_scrubbing(project: Project | None) -> DataScrubbing:
    """The project's options, Sentry's defaults where unset (and for a project that is gone)."""
    if project is None:
        return DataScrubbing()
    return DataScrubbing(
        scrub_data=_flag(project.scrub_data, True),
        scrub_defaults=_flag(project.scrub_defaults, True),
        scrub_ip_addresses=_flag(project.scrub_ip_address, False),
        sensitive_fields=tuple(project.sensitive_fields or ()),
        safe_fields=tuple(project.safe_fields or ()),
        relay_pii_config=project.relay_pii_config or None,
    )


def _flag(value: bool | None, default: bool) -> bool:
    return default if value is None else bool(value)


# API name → the project item's attribute, for the options a PUT may change.
_ATTRIBUTES = {
    "dataScrubber": Project.scrub_data,
    "dataScrubberDefaults": Project.scrub_defaults,
    "scrubIPAddresses": Project.scrub_ip_address,
    "sensitiveFields": Project.sensitive_fields,
    "safeFields": Project.safe_fields,
    "relayPiiConfig": Project.relay_pii_config,
}


def set_data_scrubbing(project: Project, changes: dict[str, Any]) -> Project:
    """Store the options of a validated PUT (API names; only those sent). A blank advanced
    configuration removes it, as Sentry stores an empty ``sentry:relay_pii_config``."""
    actions = []
    for name, value in changes.items():
        attribute = _ATTRIBUTES[name]
        if name == "relayPiiConfig" and not value.strip():
            actions.append(attribute.remove())
        else:
            actions.append(attribute.set(list(value) if isinstance(value, list) else value))
    if actions:
        project.update(actions=actions, condition=Project.pk.exists())
    return project


def serialize_data_scrubbing(project: Project) -> dict[str, Any]:
    """The options as Sentry's detailed project serializer answers them."""
    options = data_scrubbing(project)
    return {
        "dataScrubber": options.scrub_data,
        "dataScrubberDefaults": options.scrub_defaults,
        "scrubIPAddresses": options.scrub_ip_addresses,
        "sensitiveFields": list(options.sensitive_fields),
        "safeFields": list(options.safe_fields),
        "relayPiiConfig": options.relay_pii_config,
    }
