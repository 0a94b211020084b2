"""SQS consumer of the events queue: a batch of accepted events is stored with one write per
issue (``shared.ingest.batch``); the records of an issue that could not be stored are reported
as failed (partial batch failure) and delivered again, the others are done."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.ingest.batch import store_batch
from shared.metrics import metrics

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


class EventNotStored(Exception):
    """The record's event could not be stored in this delivery (SQS delivers it again)."""


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failed = store_batch(event.get("Records", []))

    def record_handler(record: SQSRecord) -> None:
        if record.message_id in failed:
            raise EventNotStored(record.message_id)

    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
