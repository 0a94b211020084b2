"""The text of workflow and deploy email, after Sentry's activity notifications: the subject is the
issue's short id and title ("WEB-1 - ZeroDivisionError …"), the first line says who did what."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from shared.config import settings
from shared.issues.enums import ActivityType

SYSTEM_ACTOR = "Watchtower"


def _assignee(
    data: dict[str, Any],
    recipient_id: int,
    actor_id: int | None,
    names: dict[int, str],
    teams: dict[int, str],
) -> str:
    target = str(data.get("assignee") or "")
    if data.get("assigneeType") == "team":
        return f"#{teams.get(int(target), target)}" if target.isdigit() else "a team"
    if target == str(recipient_id):
        return "you"
    if actor_id is not None and target == str(actor_id):
        return "themselves"
    return names.get(int(target), data.get("assigneeEmail") or "a member") if target.isdigit() else "a member"


def describe(
    notice: dict[str, Any], short_id: str, recipient_id: int, names: dict[int, str], teams: dict[int, str]
) -> str:
    """The sentence Sentry's email opens with for the activity."""
    actor_id = notice.get("actor_id")
    actor = names.get(actor_id, SYSTEM_ACTOR) if actor_id is not None else SYSTEM_ACTOR
    data = notice.get("data") or {}
    kind = ActivityType(int(notice["type"]))
    if kind == ActivityType.ASSIGNED:
        return f"{actor} assigned {short_id} to {_assignee(data, recipient_id, actor_id, names, teams)}"
    if kind == ActivityType.UNASSIGNED:
        return f"{actor} unassigned {short_id}"
    if kind == ActivityType.NOTE:
        return f"{actor} commented on {short_id}\n\n{data.get('text') or ''}"
    if kind == ActivityType.SET_RESOLVED_IN_RELEASE:
        version = data.get("version") or data.get("future_release_version")
        return f"{actor} marked {short_id} as resolved in {version or 'the upcoming release'}"
    if kind == ActivityType.SET_RESOLVED_IN_COMMIT:
        return f"{actor} marked {short_id} as fixed in a commit"
    if kind == ActivityType.SET_REGRESSION:
        version = data.get("version")
        return f"{actor} marked {short_id} as a regression" + (f" in {version}" if version else "")
    if kind == ActivityType.SET_ESCALATING:
        return f"{actor} flagged {short_id} as escalating"
    if kind == ActivityType.SET_IGNORED:
        return f"{actor} archived {short_id}"
    return f"{actor} marked {short_id} as resolved"


def workflow_email(to: str, group: dict[str, Any], sentence: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[Watchtower] {group['short_id']} - {group['title']}"
    message["From"] = settings().mail_from
    message["To"] = to
    message.set_content(
        f"{sentence}\n\n{group['title']}\n{group.get('culprit') or ''}\n\n{group['url']}\n\n"
        "You receive this because you are subscribed to this issue; change what you receive in your "
        "notification settings.\n"
    )
    return message


def deploy_email(
    to: str, deploy: dict[str, Any], projects: list[str], authored: bool, url: str
) -> EmailMessage:
    """Sentry's ReleaseActivityNotification: "Deployed version <version> to <environment>"."""
    message = EmailMessage()
    subject = f"Deployed version {deploy['version']} to {deploy['environment']}"
    message["Subject"] = f"[Watchtower] {subject}"
    message["From"] = settings().mail_from
    message["To"] = to
    why = "it includes your commits" if authored else "you chose to hear of every deploy"
    message.set_content(
        f"{subject}\n\nProjects: {', '.join(projects)}\n"
        + (f"Deploy: {deploy['name']}\n" if deploy.get("name") else "")
        + (f"{deploy['url']}\n" if deploy.get("url") else "")
        + f"\n{url}\n\nYou receive this because {why}.\n"
    )
    return message
