"""Jobs sent to SQS: JSON bodies, one client per process, built from the process's botocore session
(``shared.storage.dynamodb.session``)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _client() -> Any:
    from shared.config import settings
    from shared.storage.dynamodb import session

    return session().create_client("sqs", region_name=settings().region)


def send_job(queue_url: str, body: dict[str, Any], delay_seconds: int = 0) -> None:
    """Queue ``body`` (JSON) on ``queue_url``; SQS caps the delay at 900 s."""
    send_message(queue_url, json.dumps(body), delay_seconds)


def send_message(queue_url: str, body: str, delay_seconds: int = 0) -> None:
    """Queue the text ``body`` as it is (botocore's errors propagate: the caller decides)."""
    _client().send_message(QueueUrl=queue_url, MessageBody=body, DelaySeconds=min(delay_seconds, 900))


_client()  # built during the init phase, as the DynamoDB client is (shared.storage.base)
