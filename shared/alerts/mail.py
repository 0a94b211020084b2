"""Alert email through Amazon SES: who gets it (Sentry's NotifyEmailAction targets) and the message.

Issue owners are read from ownership rules in Sentry; a project here has none, so an alert for
``IssueOwners`` goes to its fallthrough: the project's active members (``ActiveMembers``, Sentry's
default, and ``AllMembers``) or nobody (``NoOne``)."""

from __future__ import annotations

from email.message import EmailMessage
from functools import lru_cache
from typing import Any

from shared.accounts.organizations import list_members
from shared.config import settings
from shared.storage.accounts import User
from shared.storage.base import batch_get


def recipients(org_id: int, team_ids: set[int], action: dict[str, Any]) -> list[str]:
    """The addresses an email action reaches: active users among the organization's members on the
    target (the project's teams, a team, or a member)."""
    target = action.get("targetType")
    if target == "IssueOwners" and action.get("fallthroughType") == "NoOne":
        return []
    members = list_members(org_id)
    if target == "Member":
        chosen = [m for m in members if m.user_id == int(action["targetIdentifier"])]
    else:
        wanted = {int(action["targetIdentifier"])} if target == "Team" else team_ids
        chosen = [m for m in members if wanted.intersection(m.team_ids)]
    users = batch_get(User, [User.key(m.user_id) for m in chosen])
    return sorted({user.email for user in users if user.is_active and user.email})


def alert_email(
    to: list[str], project: dict[str, Any], group: dict[str, Any], rule_name: str
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[Watchtower] {group['short_id']} - {group['title']}"
    message["From"] = settings().mail_from
    message["To"] = ", ".join(to)
    message.set_content(
        f"New alert from {project['name']}\n\n"
        f"{group['title']}\n{group.get('culprit') or ''}\n\n"
        f"Rule: {rule_name}\nLevel: {group['level']}\n\n{group['url']}\n"
    )
    return message


@lru_cache(maxsize=1)
def _ses() -> Any:
    from shared.storage.dynamodb import session

    return session().create_client("ses", region_name=settings().region)


def send_email(message: EmailMessage) -> None:
    """Send through SES (botocore retries its throttling with backoff; what still fails propagates)."""
    _ses().send_raw_email(RawMessage={"Data": message.as_bytes()})
