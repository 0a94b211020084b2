"""SQS worker of the deletion queue: group deletions, merges and project deletions.

Each record is one job; a failed record is reported back to SQS (partial batch failure) and
retried after the visibility timeout, then lands in the dead-letter queue after five receives.
Jobs are idempotent, so a retry resumes where the failed attempt stopped."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.issues.deletion.jobs import run_deletion_job
from shared.metrics import metrics

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    run_deletion_job(record.json_body)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
