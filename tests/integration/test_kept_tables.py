"""A table kept from an earlier run (``make run`` keeps its data) gets the template's secondary
indexes as they are now: a table made by the older template (a keys-only ``by_project_status``, no
listing index) gets ``by_project_listing`` with the listing fields, filled from the items already
stored, on the engine the suite runs on; the retired index is left as it is."""

from __future__ import annotations

import copy
import uuid

import boto3

from local.resources import _update_indexes
from local.template import resources


def test_a_kept_table_gets_the_template_index_with_its_items() -> None:
    client = boto3.client("dynamodb")
    props = resources("AWS::DynamoDB::Table")["IssuesTable"]
    older = copy.deepcopy(props)
    older["GlobalSecondaryIndexes"] = [
        index for index in older["GlobalSecondaryIndexes"] if index["IndexName"] != "by_project_listing"
    ]
    assert {index["IndexName"] for index in older["GlobalSecondaryIndexes"]} == {
        "by_project_status",
        "pending_deletion",
    }
    name = f"KeptIssues{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        **{
            k: older[k]
            for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
        },
    )
    try:
        item = {
            "pk": {"S": "GROUP#1"},
            "sk": {"S": "GROUP"},
            "gsi1pk": {"S": "PROJECT#1#STATUS#0"},
            "gsi1sk": {"S": "2026-01-01T00:00:00.000000Z#00000000000000000001"},
            "level": {"S": "fatal"},
            "title": {"S": "not projected"},
        }
        client.put_item(TableName=name, Item=item)

        def entries(index: str = "by_project_listing") -> list[dict]:
            return client.query(
                TableName=name,
                IndexName=index,
                KeyConditionExpression="gsi1pk = :p",
                ExpressionAttributeValues={":p": {"S": "PROJECT#1#STATUS#0"}},
            )["Items"]

        assert "level" not in entries("by_project_status")[0]
        _update_indexes(client, name, props)
        described = client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
        listing = next(index for index in described if index["IndexName"] == "by_project_listing")
        assert listing["Projection"]["ProjectionType"] == "INCLUDE"
        assert sorted(listing["Projection"]["NonKeyAttributes"]) == sorted(
            props["GlobalSecondaryIndexes"][0]["Projection"]["NonKeyAttributes"]
        )
        [entry] = entries()
        assert entry["level"] == {"S": "fatal"} and "title" not in entry
        assert {index["IndexName"] for index in described} == {
            "by_project_status",
            "by_project_listing",
            "pending_deletion",
        }
        _update_indexes(client, name, props)  # nothing left to change: no UpdateTable refused
        assert client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"] == described
    finally:
        client.delete_table(TableName=name)
