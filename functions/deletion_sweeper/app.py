"""Scheduled sweeper of the deletion pipeline: queues again the groups whose job was lost."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.issues.deletion.sweeper import sweep
from shared.metrics import metrics

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"requeued": len(sweep())}
