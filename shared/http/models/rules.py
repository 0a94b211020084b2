"""Bodies of the issue alert rule routes, as the OpenAPI document shows them. They accept anything
of the fields' names: ``shared.alerts.rules.validate`` checks a rule as Sentry's RuleSerializer does
(all its field messages in one 400), and a plugin's settings are checked by
``shared.alerts.plugins``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class RuleBody(BaseModel):
    """An issue alert rule: ``conditions``, ``filters`` and ``actions`` are lists of nodes, each
    ``{"id": "<Sentry's class path>", ...fields}``; ``actionMatch``/``filterMatch`` are ``all``,
    ``any`` or ``none``; ``frequency`` is minutes between actions per issue (5 to 43200)."""

    model_config = ConfigDict(extra="allow")

    name: Any = None
    actionMatch: Any = None
    filterMatch: Any = None
    frequency: Any = None
    environment: Any = None
    owner: Any = None
    conditions: Any = None
    filters: Any = None
    actions: Any = None


class PluginSettings(BaseModel):
    """A legacy plugin's settings: ``urls`` (webhooks: one URL a line) or ``webhook`` (slack)."""

    model_config = ConfigDict(extra="allow")

    urls: Any = None
    webhook: Any = None
