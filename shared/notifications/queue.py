"""Queueing workflow notifications: what the API and the processor send to ``NotificationsQueue``
after the change that causes them is written.

A notification is one activity row (or one deploy): its key is the row's, so the notifier sends
each recipient one message per row however often it is queued. The request that wrote the rows
sends them in one SQS message (a bulk update of many issues: one per ``NOTICES_PER_MESSAGE``); a send
that fails is logged and the change stands (the notification is lost, not the change)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.config import settings
from shared.issues.activity import activity_data
from shared.issues.enums import ActivityType
from shared.queues import send_job
from shared.storage.base import chunked
from shared.storage.issues import Activity
from shared.storage.releases import Deploy

WORKFLOW_KIND = "workflow"
DEPLOY_KIND = "deploy"
# The activities Sentry mails to an issue's participants (its activity notifications registry).
NOTIFIED = frozenset(
    {
        ActivityType.NOTE,
        ActivityType.ASSIGNED,
        ActivityType.UNASSIGNED,
        ActivityType.SET_RESOLVED,
        ActivityType.SET_RESOLVED_IN_RELEASE,
        ActivityType.SET_RESOLVED_IN_COMMIT,
        ActivityType.SET_REGRESSION,
        ActivityType.SET_ESCALATING,
        ActivityType.SET_IGNORED,
    }
)
# A notice is a few hundred bytes (a comment's text at most a few KB): far below SQS's 256 KB.
NOTICES_PER_MESSAGE = 25
logger = logging.getLogger(__name__)


def notice(activity: Activity) -> dict[str, Any]:
    """What the notifier needs of an activity, copied so it reads no activity row."""
    return {
        "key": activity.sk,
        "group_id": activity.group_id,
        "type": activity.type,
        "actor_id": activity.user_id,
        "data": json.loads(json.dumps(activity_data(activity), default=str)),
    }


def _send(body: dict[str, Any]) -> None:
    url = settings().notifications_queue_url
    if not url:
        return
    try:
        send_job(url, body)
    except (BotoCoreError, ClientError) as error:
        logger.warning("workflow notification not queued: %s", error)


def queue_activities(activities: Iterable[Activity]) -> None:
    """Queue the activities Sentry notifies about (others are skipped)."""
    notices = [notice(a) for a in activities if a.type in NOTIFIED]
    for chunk in chunked(notices, NOTICES_PER_MESSAGE):
        _send({"kind": WORKFLOW_KIND, "notices": chunk})


def queue_deploy(org_id: int, version: str, deploy: Deploy, actor_id: int | None) -> None:
    """Queue a deploy's notification to the release's commit authors (and whoever chose ``always``)."""
    _send(
        {
            "kind": DEPLOY_KIND,
            "org_id": org_id,
            "version": version,
            "deploy_id": deploy.id,
            "environment": deploy.environment,
            "name": deploy.name,
            "url": deploy.url,
            "project_ids": sorted(deploy.project_ids or ()),
            "actor_id": actor_id,
        }
    )
