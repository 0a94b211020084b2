"""SQS worker: fills a release's commits from long ``refs`` ranges, queued by the release PUT.

A failed record (say, the release's commits are locked by a concurrent PUT) is reported back to SQS
and retried after the visibility timeout; after five receives it goes to the dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.metrics import metrics
from shared.releases.refs import fill_commits_from_refs

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    filled = fill_commits_from_refs(record.json_body)
    logger.info("release commits filled", extra={"commits": filled, "message_id": record.message_id})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
