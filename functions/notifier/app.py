"""SQS worker: delivers the notifications alert rules fired (email through SES, webhooks) and the
workflow and deploy email of ``shared.notifications`` (messages with a ``kind``).

A record whose delivery failed is reported back to SQS and retried after the visibility timeout
(what was delivered is not sent again); after five receives it goes to the dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.alerts.delivery import deliver
from shared.metrics import metrics
from shared.notifications.delivery import deliver_workflow

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    body = record.json_body
    made = deliver_workflow(body) if "kind" in body else deliver(body)
    logger.info("notification delivered", extra={"deliveries": made, "message_id": record.message_id})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
