"""Webhook deliveries: Sentry's webhooks-plugin body, the Slack incoming-webhook text, and the post
itself (a timeout, no redirects followed, addresses checked).

On AWS a URL whose host resolves to a private, loopback, link-local or otherwise non-public
address is refused (Sentry's ``safe_urlopen`` does the same); ``ALLOW_PRIVATE_WEBHOOKS`` (which
``make run`` sets) allows them. A redirect is not followed: it counts as a failed delivery, so a
redirect to a private address goes nowhere. The webhooks plugin does not sign its posts."""

from __future__ import annotations

import ipaddress
import json
import socket
from typing import Any
from urllib.parse import urlsplit

import urllib3

from shared.config import settings

TIMEOUT_SECONDS = 5.0
USER_AGENT = "sentry-webhooks/watchtower"
_pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=TIMEOUT_SECONDS))


class DeliveryFailed(Exception):
    """The endpoint did not take the notification (it is retried, then dead-lettered)."""


def public_address(host: str) -> bool:
    """Whether every address ``host`` resolves to is a public one."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            return False
    return bool(infos)


def post_json(url: str, body: dict[str, Any]) -> None:
    """POST ``body`` to ``url``: a 2xx answer within the timeout, or DeliveryFailed."""
    host = urlsplit(url).hostname or ""
    if not settings().allow_private_webhooks and not public_address(host):
        raise DeliveryFailed(f"{host} does not resolve to a public address")
    try:
        response = _pool.request(
            "POST",
            url,
            body=json.dumps(body, default=str).encode(),
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            redirect=False,
        )
    except urllib3.exceptions.HTTPError as error:
        raise DeliveryFailed(f"{host}: {type(error).__name__}") from error
    if not 200 <= response.status < 300:
        raise DeliveryFailed(f"{host} answered {response.status}")


def plugin_body(message: dict[str, Any], project: dict[str, Any], group: dict[str, Any]) -> dict[str, Any]:
    """The body Sentry's webhooks plugin posts for an alert: the issue, its project, the rule that
    fired and the event (with its tags as pairs and its id)."""
    event = dict(message["event"])
    event.pop("id", None)
    tags = event.get("tags")
    if isinstance(tags, dict):
        event["tags"] = [[key, value] for key, value in tags.items()]
    return {
        "id": str(message["group_id"]),
        "project": project["slug"],
        "project_name": project["name"],
        "project_slug": project["slug"],
        "logger": event.get("logger"),
        "level": message.get("level"),
        "culprit": group.get("culprit"),
        "message": message.get("message") or group.get("title"),
        "url": f"{group['url']}?referrer=webhooks_plugin",
        "triggering_rules": [message["rule"]["name"]],
        "event": event,
    }


def slack_body(project: dict[str, Any], group: dict[str, Any], rule_name: str) -> dict[str, Any]:
    """A Slack incoming-webhook message (Slack's ``text`` with a link)."""
    return {"text": f"[{project['slug']}] <{group['url']}|{group['title']}> (alert: {rule_name})"}
