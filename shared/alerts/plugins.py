"""The project's legacy notification plugins, as Sentry's plugin endpoints show and set them:
``webhooks`` (callback URLs, one a line) and ``slack`` (an incoming-webhook URL). A rule's
``NotifyEventServiceAction`` names one; the notifier reads its settings when it delivers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pynamodb.exceptions import DoesNotExist

from shared.errors import NotFound, ValidationFailed
from shared.storage.accounts import Project
from shared.storage.alerts import ServicePlugin

URL_MAX = 1024
URLS_MAX = 10


@dataclass(frozen=True)
class PluginField:
    name: str
    label: str
    type: str
    help: str
    many: bool  # one URL a line


@dataclass(frozen=True)
class PluginKind:
    slug: str
    name: str
    field: PluginField


PLUGINS = {
    "webhooks": PluginKind(
        "webhooks",
        "WebHooks",
        PluginField(
            "urls",
            "Callback URLs",
            "textarea",
            "Enter callback URLs to POST new events to (one per line).",
            True,
        ),
    ),
    "slack": PluginKind(
        "slack",
        "Slack",
        PluginField("webhook", "Webhook URL", "url", "Your custom Slack webhook URL.", False),
    ),
}


def plugin_kind(slug: str) -> PluginKind:
    kind = PLUGINS.get(slug)
    if kind is None:
        raise NotFound()
    return kind


def load_plugin(project_id: int, slug: str) -> ServicePlugin | None:
    try:
        return ServicePlugin.get(*ServicePlugin.key(project_id, slug))
    except DoesNotExist:
        return None


def plugin_urls(plugin: ServicePlugin | None) -> list[str]:
    """The URLs a plugin posts to (none when it is off or has none)."""
    if plugin is None or not plugin.enabled:
        return []
    kind = PLUGINS[plugin.slug]
    value = (plugin.config or {}).get(kind.field.name) or ""
    return [line.strip() for line in str(value).splitlines() if line.strip()]


def _check_url(url: str) -> bool:
    parts = urlsplit(url)
    return len(url) <= URL_MAX and parts.scheme in ("http", "https") and bool(parts.hostname)


def configure_plugin(project: Project, slug: str, body: Any) -> ServicePlugin:
    """Set the plugin's field (and enable it, as saving a plugin's settings in Sentry does)."""
    kind = plugin_kind(slug)
    field = kind.field
    value = body.get(field.name) if isinstance(body, dict) else None
    if value is not None and not isinstance(value, str):
        raise ValidationFailed({"errors": {field.name: "Not a valid string."}})
    urls = [line.strip() for line in (value or "").splitlines() if line.strip()]
    if (not field.many and len(urls) > 1) or len(urls) > URLS_MAX:
        raise ValidationFailed(
            {"errors": {field.name: f"Ensure at most {1 if not field.many else URLS_MAX} URLs."}}
        )
    bad = [url for url in urls if not _check_url(url)]
    if bad:
        raise ValidationFailed({"errors": {field.name: f"{bad[0][:100]} is not a valid URL."}})
    plugin: ServicePlugin = load_plugin(project.id, slug) or ServicePlugin(
        *ServicePlugin.key(project.id, slug), project_id=project.id, slug=slug
    )
    plugin.config = {field.name: "\n".join(urls)}
    plugin.enabled = True
    plugin.save()
    return plugin


def set_enabled(project: Project, slug: str, enabled: bool) -> ServicePlugin:
    plugin_kind(slug)
    plugin: ServicePlugin = load_plugin(project.id, slug) or ServicePlugin(
        *ServicePlugin.key(project.id, slug), project_id=project.id, slug=slug, config={}
    )
    plugin.enabled = enabled
    plugin.save()
    return plugin


def serialize_plugin(slug: str, plugin: ServicePlugin | None) -> dict[str, Any]:
    """Sentry's serialization of a project's plugin, with its settings (``config``)."""
    kind = plugin_kind(slug)
    value = ((plugin.config or {}) if plugin is not None else {}).get(kind.field.name) or ""
    return {
        "id": kind.slug,
        "slug": kind.slug,
        "name": kind.name,
        "shortName": kind.name,
        "type": "notification",
        "enabled": bool(plugin is not None and plugin.enabled),
        "isHidden": False,
        "canDisable": True,
        "hasConfiguration": True,
        "config": [
            {
                "name": kind.field.name,
                "label": kind.field.label,
                "type": kind.field.type,
                "help": kind.field.help,
                "required": False,
                "value": value,
            }
        ],
    }
