"""The notifier's work: one queued fire of a rule (``shared.alerts.evaluation``), each of its
actions delivered once.

Each action (each URL of a webhooks plugin) is recorded delivered (``Delivery``) after it
succeeded, and skipped when the record is there: a notification queued twice, or retried after a
partial failure, sends nothing twice. A webhook is tried ``WEBHOOK_ATTEMPTS`` times with a backoff
in the invocation; what still fails makes the record fail, so SQS hands it back after its
visibility timeout, and after five receives it goes to the dead-letter queue (and its alarm)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.accounts.organizations import find_organization
from shared.alerts.mail import alert_email, recipients, send_email
from shared.alerts.nodes import EMAIL, EVENT_SERVICE
from shared.alerts.plugins import load_plugin, plugin_urls
from shared.alerts.webhooks import DeliveryFailed, plugin_body, post_json, slack_body
from shared.issues.short_ids import format_short_id
from shared.projects.service import get_project_by_id
from shared.public_url import public_url
from shared.storage.alerts import Delivery
from shared.storage.base import batch_get, utcnow
from shared.storage.issues import Group

WEBHOOK_ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
# How long a delivery is remembered: longer than SQS keeps a message (14 days at most).
DELIVERY_KEPT = timedelta(days=30)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One delivery of a notification: its key (notification, action, URL) and how to send it."""

    key: str
    kind: str
    target: Any


def _steps(message: dict[str, Any], project_id: int) -> list[Step]:
    steps: list[Step] = []
    for index, action in enumerate(message["rule"]["actions"]):
        key = f"{message['notification']}#{index}"
        if action["id"] == EMAIL:
            steps.append(Step(key, "email", action))
        elif action["id"] == EVENT_SERVICE:
            service = action["service"]
            for number, url in enumerate(plugin_urls(load_plugin(project_id, service))):
                steps.append(Step(f"{key}#{number}", service, url))
    return steps


def _with_backoff(send: Any) -> None:
    for attempt in range(WEBHOOK_ATTEMPTS):
        try:
            send()
            return
        except DeliveryFailed:
            if attempt == WEBHOOK_ATTEMPTS - 1:
                raise
            time.sleep(BACKOFF_SECONDS * 2**attempt)


def deliver(message: dict[str, Any]) -> int:
    """Deliver what the notification asks not delivered yet; the deliveries made. DeliveryFailed
    when one failed (the others are recorded and not repeated)."""
    project = get_project_by_id(int(message["project_id"]))
    try:
        group = Group.get(*Group.key(int(message["group_id"])))
    except Group.DoesNotExist:
        group = None
    org = find_organization(str(message["org_id"]))
    if project is None or group is None or org is None:
        return 0  # deleted meanwhile: nobody to tell about it
    about_project = {"slug": project.slug, "name": project.name}
    about_group = {
        "title": group.title,
        "culprit": group.culprit,
        "level": message.get("level") or group.level,
        "short_id": format_short_id(project.slug, group.short_id),
        "url": f"{public_url()}/organizations/{org.slug}/issues/{group.id}/",
    }
    steps = _steps(message, project.id)
    done = {
        row.pk
        for row in batch_get(Delivery, [Delivery.key(step.key) for step in steps], consistent_read=True)
    }
    rule_name = message["rule"]["name"]
    failed: list[str] = []
    made = 0
    for step in steps:
        if Delivery.key(step.key)[0] in done:
            continue
        try:
            if step.kind == "email":
                to = recipients(org.id, project.team_ids, step.target)
                if to:
                    send_email(alert_email(to, about_project, about_group, rule_name))
            elif step.kind == "webhooks":
                body = plugin_body(message, about_project, about_group)
                _with_backoff(lambda url=step.target, body=body: post_json(url, body))
            else:
                body = slack_body(about_project, about_group, rule_name)
                _with_backoff(lambda url=step.target, body=body: post_json(url, body))
        except (DeliveryFailed, ClientError, BotoCoreError) as error:
            logger.warning("notification not delivered: %s (%s)", step.key, error)
            failed.append(step.key)
            continue
        expires = utcnow() + DELIVERY_KEPT
        Delivery(*Delivery.key(step.key), notification=message["notification"], expires_at=expires).save()
        made += 1
    if failed:
        raise DeliveryFailed(f"{len(failed)} of {len(steps)} deliveries failed; retried later")
    return made
