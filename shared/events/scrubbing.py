"""Data scrubbing as Sentry applies it, with Relay's own code: a project's options
(``shared.projects.data_scrubbing``) become Relay's PII configurations as Sentry's
``get_all_pii_configs`` makes them — the advanced rules (``relayPiiConfig``, their names prefixed
``project:``) first, then the legacy options through ``convert_datascrubbing_config`` — and each is
applied with ``pii_strip_event`` after normalization, before the event is grouped or kept.

With Sentry's defaults that is: values of fields whose names look secret (Relay's pattern:
password, secret, passwd, api_key, auth, credentials, private_key, token, otp… — so an
``Authorization`` header), session and CSRF cookies, and credit card numbers become
``"[Filtered]"``; card numbers, bearer tokens, IBANs and US social security numbers inside a
formatted message are replaced; ``scrubIPAddresses`` removes the user's and the
request's addresses; ``safeFields`` are selectors left alone; ``sensitiveFields`` add names.
Every change is recorded in the event's ``_meta`` (rule and range), as Sentry shows it.

The processor reads each project's options once per batch (``BatchScrubbing``): a change made
through the API applies to the next batch. A project whose item cannot be read fails its events'
records (they come again), so no event is ever kept unscrubbed for a read that failed."""

from __future__ import annotations

import copy
import json
from typing import Any

from aws_lambda_powertools import Logger

from shared.projects.data_scrubbing import DataScrubbing, data_scrubbing
from shared.projects.service import get_project_by_id

logger = Logger(child=True)
PROJECT_PREFIX = "project:"

PiiConfigs = tuple[dict[str, Any], ...]


def pii_configs(options: DataScrubbing) -> PiiConfigs:
    """Relay's PII configurations for the options, in the order Sentry applies them; none when
    nothing is to be scrubbed."""
    from sentry_relay.processing import convert_datascrubbing_config

    configs = []
    advanced = _advanced(options.relay_pii_config)
    if advanced:
        configs.append(advanced)
    legacy = convert_datascrubbing_config(
        {
            "excludeFields": list(options.safe_fields),
            "scrubData": options.scrub_data,
            "scrubIpAddresses": options.scrub_ip_addresses,
            "sensitiveFields": list(options.sensitive_fields),
            "scrubDefaults": options.scrub_defaults,
        }
    )
    if legacy:
        configs.append(legacy)
    return tuple(configs)


def _advanced(text: str | None) -> dict[str, Any] | None:
    """The advanced rules with their names prefixed as Sentry merges them (rule references inside
    ``multiple`` rules and applications follow). Validated when set; one that no longer reads is
    skipped, as Sentry skips it."""
    if not text:
        return None
    try:
        config = json.loads(text)
    except ValueError:
        logger.warning("advanced data scrubbing rules do not read; skipped")
        return None
    if not isinstance(config, dict):
        return None
    rules = config.get("rules") or {}

    def named(name: Any) -> Any:
        return f"{PROJECT_PREFIX}{name}" if name in rules else name

    prefixed: dict[str, Any] = {}
    for name, rule in rules.items():
        if isinstance(rule, dict) and rule.get("type") == "multiple":
            rule = copy.deepcopy(rule)
            if isinstance(rule.get("rules"), list):
                rule["rules"] = [named(reference) for reference in rule["rules"]]
        prefixed[named(name)] = rule
    applications = {
        selector: [named(application) for application in applied]
        for selector, applied in (config.get("applications") or {}).items()
    }
    return {**config, "rules": prefixed, "applications": applications}


def scrub(event: dict[str, Any], configs: PiiConfigs) -> dict[str, Any]:
    """The event with each configuration applied (Relay records what it changed in ``_meta``)."""
    if not configs:
        return event
    from sentry_relay.processing import pii_strip_event

    for config in configs:
        event = pii_strip_event(config, event)
    return event


class BatchScrubbing:
    """The PII configurations of a batch's projects, each project's item read once (two
    GetItems: its id pointer, then the item)."""

    def __init__(self) -> None:
        self._configs: dict[int, PiiConfigs] = {}

    def of(self, project_id: int) -> PiiConfigs:
        if project_id not in self._configs:
            self._configs[project_id] = pii_configs(data_scrubbing(get_project_by_id(project_id)))
        return self._configs[project_id]
