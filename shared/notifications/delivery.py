"""The notifier's work for workflow and deploy notifications: each recipient gets one email per
notification. A delivery is recorded (``Delivery``, keyed by the notification's key and the
recipient) after SES accepted it and skipped when recorded, so a message queued twice or retried
after a partial failure mails nobody twice; what failed fails the record and SQS retries it."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from shared.accounts.organizations import find_organization
from shared.alerts.delivery import DELIVERY_KEPT
from shared.alerts.mail import send_email
from shared.alerts.webhooks import DeliveryFailed
from shared.issues.short_ids import format_short_id
from shared.notifications.emails import deploy_email, describe, workflow_email
from shared.notifications.queue import DEPLOY_KIND
from shared.notifications.recipients import deploy_recipients, workflow_recipients
from shared.projects.service import get_project_by_id
from shared.public_url import public_url
from shared.storage.accounts import User
from shared.storage.alerts import Delivery
from shared.storage.base import batch_get, utcnow
from shared.storage.issues import Group

logger = logging.getLogger(__name__)


def _users(user_ids: set[int]) -> dict[int, User]:
    users = batch_get(User, [User.key(u) for u in sorted(user_ids)])
    return {u.id: u for u in users if u.is_active and u.email}


def _send_once(emails: dict[str, EmailMessage]) -> int:
    """Send each message not sent before (by its delivery key); DeliveryFailed when one failed."""
    if not emails:
        return 0
    done = {row.pk for row in batch_get(Delivery, [Delivery.key(k) for k in emails], consistent_read=True)}
    made, failed = 0, 0
    for key, message in emails.items():
        if Delivery.key(key)[0] in done:
            continue
        try:
            send_email(message)
        except (ClientError, BotoCoreError) as error:
            logger.warning("notification not delivered: %s (%s)", key, error)
            failed += 1
            continue
        Delivery(*Delivery.key(key), notification=key, expires_at=utcnow() + DELIVERY_KEPT).save()
        made += 1
    if failed:
        raise DeliveryFailed(f"{failed} of {len(emails)} emails failed; retried later")
    return made


def _workflow_emails(notice: dict[str, Any]) -> dict[str, EmailMessage]:
    try:
        group = Group.get(*Group.key(int(notice["group_id"])))
    except Group.DoesNotExist:
        return {}  # deleted meanwhile: nobody to tell about it
    project = get_project_by_id(group.project_id)
    org = find_organization(str(project.org_id)) if project is not None else None
    if project is None or org is None:
        return {}
    actor_id = notice.get("actor_id")
    recipients = workflow_recipients(org.id, project.team_ids, group.id, actor_id)
    if not recipients:
        return {}
    data = notice.get("data") or {}
    named = set(recipients) | ({int(actor_id)} if actor_id is not None else set())
    if data.get("assigneeType") == "user" and str(data.get("assignee") or "").isdigit():
        named.add(int(data["assignee"]))
    users = _users(named)
    names = {u.id: u.name or u.email for u in users.values()}
    teams = {t.id: t.slug for t in project.teams}
    short_id = format_short_id(project.slug, group.short_id)
    about = {
        "short_id": short_id,
        "title": group.title,
        "culprit": group.culprit,
        "url": f"{public_url()}/organizations/{org.slug}/issues/{group.id}/?referrer=activity_email",
    }
    emails = {}
    for user_id in sorted(recipients):
        if user_id in users:
            sentence = describe(notice, short_id, user_id, names, teams)
            key = f"activity#{group.id}#{notice['key']}#{user_id}"
            emails[key] = workflow_email(users[user_id].email, about, sentence)
    return emails


def _deploy_emails(message: dict[str, Any]) -> dict[str, EmailMessage]:
    org = find_organization(str(message["org_id"]))
    projects = [p for p in (get_project_by_id(int(i)) for i in message["project_ids"]) if p is not None]
    if org is None or not projects:
        return {}
    team_ids = {t for p in projects for t in p.team_ids}
    version = message["version"]
    recipients, authors = deploy_recipients(org.id, team_ids, version, message.get("actor_id"))
    users = _users(recipients)
    url = f"{public_url()}/organizations/{org.slug}/releases/{quote(version, safe='')}/"
    slugs = [p.slug for p in projects]
    return {
        f"deploy#{message['deploy_id']}#{user_id}": deploy_email(
            users[user_id].email, message, slugs, user_id in authors, url
        )
        for user_id in sorted(recipients)
        if user_id in users
    }


def deliver_workflow(message: dict[str, Any]) -> int:
    """Mail a queued workflow or deploy notification; the emails sent."""
    if message.get("kind") == DEPLOY_KIND:
        return _send_once(_deploy_emails(message))
    emails: dict[str, EmailMessage] = {}
    for notice in message["notices"]:
        emails.update(_workflow_emails(notice))
    return _send_once(emails)
