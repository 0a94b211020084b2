"""Handlers the Lambda pool tests run in worker processes (imported there by name)."""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger

logger = Logger(service="pool-test")


@logger.inject_lambda_context(clear_state=True)
def report(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sleeps ``event["sleep"]`` seconds (or an HTTP request's ``?sleep=``), logs, and says which
    process and invocation ran it."""
    query = event.get("queryStringParameters") or {}
    time.sleep(float(event.get("sleep", query.get("sleep", 0))))
    if event.get("crash"):
        os._exit(3)  # the environment dies mid-invocation
    if event.get("raise"):
        raise ValueError("handler failed")
    logger.warning("handled", extra={"tag": event.get("tag")})
    return {
        "pid": os.getpid(),
        "request_id": context.aws_request_id,
        "tag": event.get("tag"),
        "setting": os.environ.get("DELETION_DELAY_SECONDS"),
    }
