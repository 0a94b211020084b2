"""Create the template's tables and queues on a local endpoint and point the environment at them.

Tables and queues are created from the template's own resource properties and named after their
logical ids; the environment variables the template gives every function are set to match. So
there is one definition of the infrastructure, and the local system cannot drift from it."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

from local.dynamodb_local import ENGINE_LIMITS, selected
from local.template import environment_refs, resources

LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "watchtower",
    "POWERTOOLS_METRICS_NAMESPACE": "Watchtower",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "DELETION_DELAY_SECONDS": "5",
    # webhooks to this machine's receivers (refused on AWS)
    "ALLOW_PRIVATE_WEBHOOKS": "1",
}
# Knobs a caller may set for the local system (e.g. ``DELETION_DELAY_SECONDS=0 make run``).
_OVERRIDABLE = ("DELETION_DELAY_SECONDS", "POWERTOOLS_LOG_LEVEL")
_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")


def _create_tables(client: Any) -> None:
    existing = set(client.list_tables()["TableNames"])
    for name, props in resources("AWS::DynamoDB::Table").items():
        if name in existing:
            continue
        client.create_table(TableName=name, **{k: props[k] for k in _TABLE_KEYS if k in props})
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


def _create_queues(client: Any) -> dict[str, str]:
    """Create queues, dead-letter queues first; returns logical id → queue URL."""
    queues = resources("AWS::SQS::Queue")
    urls: dict[str, str] = {}
    for name, props in sorted(queues.items(), key=lambda item: "RedrivePolicy" in item[1]):
        attributes = {
            key: str(props[key]) for key in ("VisibilityTimeout", "MessageRetentionPeriod") if key in props
        }
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            arn = client.get_queue_attributes(QueueUrl=urls[target], AttributeNames=["QueueArn"])
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": arn["Attributes"]["QueueArn"],
                    "maxReceiveCount": redrive["maxReceiveCount"],
                }
            )
        try:  # kept from the last run (local.moto_snapshot) with its messages: the template's attributes
            urls[name] = client.get_queue_url(QueueName=name)["QueueUrl"]
            if attributes:
                client.set_queue_attributes(QueueUrl=urls[name], Attributes=attributes)
        except client.exceptions.QueueDoesNotExist:
            urls[name] = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return urls


def provision(endpoint_url: str, public_url: str, dynamodb_url: str | None = None) -> dict[str, str]:
    """Point this process at ``endpoint_url``, create everything there; returns the environment set.

    With ``dynamodb_url``, DynamoDB is served from there instead (``AWS_ENDPOINT_URL_DYNAMODB``,
    which boto3 and PynamoDB prefer over ``AWS_ENDPOINT_URL``), under DynamoDB Local's limits when
    that is the engine selected."""
    environment = dict(LOCAL_ENVIRONMENT, AWS_ENDPOINT_URL=endpoint_url, PUBLIC_URL=public_url)
    environment.update({key: os.environ[key] for key in _OVERRIDABLE if os.environ.get(key)})
    if dynamodb_url:
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_url
        if selected():
            environment.update(ENGINE_LIMITS)
    os.environ.update(environment)
    _create_tables(boto3.client("dynamodb", endpoint_url=dynamodb_url or endpoint_url))
    queue_urls = _create_queues(boto3.client("sqs", endpoint_url=endpoint_url))
    # the alert email's sender, as SES requires it verified
    sender = os.environ.get("MAIL_FROM") or "watchtower@example.com"
    boto3.client("ses", endpoint_url=endpoint_url).verify_email_identity(EmailAddress=sender)
    tables = set(resources("AWS::DynamoDB::Table"))
    for variable, logical_id in environment_refs().items():
        if logical_id in tables:
            environment[variable] = logical_id
        elif logical_id in queue_urls:
            environment[variable] = queue_urls[logical_id]
    os.environ.update(environment)
    return environment
