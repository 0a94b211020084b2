"""Create the template's tables, queues and buckets on a local endpoint and point the environment at
them.

Tables, queues and buckets are created from the template's own resource properties; tables and
queues are named after their logical ids, buckets after them in S3's spelling (``events-bucket``);
the environment variables the template gives every function are set to match. So there is one
definition of the infrastructure, and the local system cannot drift from it."""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

import boto3

from local.dynamodb_local import ENGINE_LIMITS, selected
from local.template import environment_refs, load_template, resources

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


def _index_shape(index: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two secondary indexes the same: keys and projection (attribute order aside)."""
    projection = index.get("Projection", {})
    return (
        sorted((k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]),
        projection.get("ProjectionType"),
        sorted(projection.get("NonKeyAttributes", [])),
    )


def _update_indexes(client: Any, name: str, props: dict[str, Any]) -> None:
    """Bring a table kept from an earlier run (``make run`` keeps its data) to the template's
    secondary indexes: one that differs is dropped and created again (DynamoDB cannot change an
    index's projection), one missing is created, one no longer declared is dropped; each change is
    its own UpdateTable (one index creation or deletion per call), the engine filling a new index
    from the table's items."""
    wanted = {index["IndexName"]: index for index in props.get("GlobalSecondaryIndexes", [])}
    described = client.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
    held = {index["IndexName"]: _index_shape(index) for index in described}
    changes: list[dict[str, Any]] = []
    for index_name, shape in held.items():
        if index_name not in wanted or _index_shape(wanted[index_name]) != shape:
            changes.append({"Delete": {"IndexName": index_name}})
    for index_name, index in wanted.items():
        if held.get(index_name) != _index_shape(index):
            changes.append({"Create": index})
    for change in changes:
        client.update_table(
            TableName=name,
            AttributeDefinitions=props["AttributeDefinitions"],
            GlobalSecondaryIndexUpdates=[change],
        )
        _wait_for_indexes(client, name, gone=change.get("Delete", {}).get("IndexName"))


def _wait_for_indexes(client: Any, name: str, gone: str | None, timeout_s: float = 120.0) -> None:
    """Until every index of the table is active and ``gone`` (an index being deleted) is no longer
    listed: DynamoDB (and DynamoDB Local) apply an index change after answering, and refuse the next
    change meanwhile."""
    deadline = time.monotonic() + timeout_s
    while True:
        table = client.describe_table(TableName=name)["Table"]
        indexes = table.get("GlobalSecondaryIndexes", [])
        if all(i.get("IndexStatus", "ACTIVE") == "ACTIVE" and i["IndexName"] != gone for i in indexes):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the indexes of {name} did not settle in {timeout_s} s")
        time.sleep(0.2)


def _create_tables(client: Any) -> None:
    existing = set(client.list_tables()["TableNames"])
    for name, props in resources("AWS::DynamoDB::Table").items():
        if name in existing:
            _update_indexes(client, name, props)
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


def bucket_name(logical_id: str) -> str:
    """A bucket's local name: its logical id in lower case, words joined by hyphens (S3's rules)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", logical_id).lower()


def _value(value: Any) -> Any:
    """A property's value, a ``!Ref`` to a parameter read as the parameter's default."""
    if isinstance(value, dict) and "Ref" in value:
        return load_template()["Parameters"][value["Ref"]]["Default"]
    return value


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A template lifecycle rule (CloudFormation's spelling) in S3 API's spelling."""
    prefix = rule.get("Prefix", "")
    converted: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": prefix}}
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(_value(rule["ExpirationInDays"]))}
    if "AbortIncompleteMultipartUpload" in rule:
        converted["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return converted


def _create_buckets(client: Any) -> dict[str, str]:
    """Create the buckets (kept ones stay, with their objects); returns logical id → bucket name."""
    existing = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
    names = {}
    for logical_id, props in resources("AWS::S3::Bucket").items():
        name = names[logical_id] = bucket_name(logical_id)
        if name not in existing:
            client.create_bucket(Bucket=name)
        rules = props.get("LifecycleConfiguration", {}).get("Rules", [])
        if rules:
            client.put_bucket_lifecycle_configuration(
                Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in rules]}
            )
    return names


def provision(
    endpoint_url: str, public_url: str, dynamodb_url: str | None = None, ingest_url: str = ""
) -> dict[str, str]:
    """Point this process at ``endpoint_url``, create everything there; returns the environment set.
    DSNs name ``ingest_url`` (the local function URL's host), else ``public_url``.

    With ``dynamodb_url``, DynamoDB is served from there instead (``AWS_ENDPOINT_URL_DYNAMODB``,
    which boto3 and PynamoDB prefer over ``AWS_ENDPOINT_URL``), under DynamoDB Local's limits when
    that is the engine selected."""
    environment = dict(
        LOCAL_ENVIRONMENT, AWS_ENDPOINT_URL=endpoint_url, PUBLIC_URL=public_url, INGEST_URL=ingest_url
    )
    environment.update({key: os.environ[key] for key in _OVERRIDABLE if os.environ.get(key)})
    if dynamodb_url:
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_url
        if selected():
            environment.update(ENGINE_LIMITS)
    os.environ.update(environment)
    _create_tables(boto3.client("dynamodb", endpoint_url=dynamodb_url or endpoint_url))
    queue_urls = _create_queues(boto3.client("sqs", endpoint_url=endpoint_url))
    buckets = _create_buckets(boto3.client("s3", endpoint_url=endpoint_url))
    # the alert email's sender, as SES requires it verified
    sender = os.environ.get("MAIL_FROM") or "watchtower@example.com"
    boto3.client("ses", endpoint_url=endpoint_url).verify_email_identity(EmailAddress=sender)
    tables = set(resources("AWS::DynamoDB::Table"))
    for variable, logical_id in environment_refs().items():
        if logical_id in tables:
            environment[variable] = logical_id
        elif logical_id in queue_urls:
            environment[variable] = queue_urls[logical_id]
        elif logical_id in buckets:
            environment[variable] = buckets[logical_id]
    os.environ.update(environment)
    return environment
