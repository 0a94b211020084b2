"""moto at the cost of what a request names (``local.moto_patches``), with moto's own outcomes: a
refused transaction restores exactly the items it named and leaves every table in place (moto's
own rollback swaps in a copy of each whole table it named); the queue's attributes and messages
read as moto reads them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from local.moto_patches import attribute_values, item_backups, partition_queries

REGION = "us-east-1"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    """moto in this process (not the test server), with item backups, and two tables."""
    for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(variable, raising=False)
    with mock_aws(), item_backups():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName="Named",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName="Other",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client, dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


def _item(client: Any, table: str, **key: str) -> dict[str, Any] | None:
    return client.get_item(TableName=table, Key={k: {"S": v} for k, v in key.items()}).get("Item")


def test_a_refused_transaction_restores_the_items_it_named_and_keeps_the_tables(dynamodb: tuple) -> None:
    client, backend = dynamodb
    client.put_item(TableName="Named", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    client.put_item(TableName="Other", Item={"pk": {"S": "kept"}, "n": {"N": "5"}})
    tables = dict(backend.tables)
    with pytest.raises(ClientError) as refused:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "Named", "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}}}},
                {
                    "Update": {
                        "TableName": "Named",
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Put": {"TableName": "Other", "Item": {"pk": {"S": "new"}}}},
                {
                    "ConditionCheck": {
                        "TableName": "Other",
                        "Key": {"pk": {"S": "kept"}},
                        "ConditionExpression": "n = :six",
                        "ExpressionAttributeValues": {":six": {"N": "6"}},
                    }
                },
            ]
        )
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [reason["Code"] for reason in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    # the items as they were: the new ones gone, the updated one back to its old value
    assert _item(client, "Named", pk="a", sk="2") is None
    assert _item(client, "Named", pk="a", sk="1") == {"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}}
    assert _item(client, "Other", pk="new") is None
    assert _item(client, "Other", pk="kept") == {"pk": {"S": "kept"}, "n": {"N": "5"}}
    # and no table was copied: moto's rollback would have put a copy of each in its place
    assert all(backend.tables[name] is table for name, table in tables.items())


def test_an_accepted_transaction_writes_every_item(dynamodb: tuple) -> None:
    client, backend = dynamodb
    tables = dict(backend.tables)
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "Named", "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}},
            {"Put": {"TableName": "Other", "Item": {"pk": {"S": "b"}}}},
        ]
    )
    assert _item(client, "Named", pk="b", sk="1") == {"pk": {"S": "b"}, "sk": {"S": "1"}}
    assert _item(client, "Other", pk="b") == {"pk": {"S": "b"}}
    assert all(backend.tables[name] is table for name, table in tables.items())


def test_a_partition_query_answers_as_moto_does_while_reading_only_its_partition(
    dynamodb: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = dynamodb
    for pk in ("a", "b", "c"):
        for sk in ("3", "1", "2", "10"):
            client.put_item(TableName="Named", Item={"pk": {"S": pk}, "sk": {"S": sk}, "v": {"S": pk + sk}})
    queries = [
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "b"}}},
        {
            "KeyConditionExpression": "pk = :p AND sk > :s",
            "ExpressionAttributeValues": {":p": {"S": "b"}, ":s": {"S": "1"}},
            "ScanIndexForward": False,
            "Limit": 2,
        },
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "none"}}},
    ]
    plain = [client.query(TableName="Named", ConsistentRead=True, **q) for q in queries]
    with partition_queries():
        # a Query that still listed the whole table would fail here
        monkeypatch.setattr(Table, "all_items", lambda self: pytest.fail("the whole table was listed"))
        patched = [client.query(TableName="Named", ConsistentRead=True, **q) for q in queries]
    for before, after in zip(plain, patched, strict=True):
        assert after["Items"] == before["Items"]
        assert after.get("LastEvaluatedKey") == before.get("LastEvaluatedKey")
    assert [item["sk"]["S"] for item in patched[0]["Items"]] == ["1", "10", "2", "3"]


def test_a_transaction_naming_an_unknown_table_is_refused_as_moto_refuses_it(dynamodb: tuple) -> None:
    client, _ = dynamodb
    with pytest.raises(ClientError) as refused:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "Named", "Item": {"pk": {"S": "c"}, "sk": {"S": "1"}}}},
                {"Put": {"TableName": "Missing", "Item": {"pk": {"S": "c"}}}},
            ]
        )
    assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"  # as on DynamoDB
    assert _item(client, "Named", pk="c", sk="1") is None


def test_the_servers_queues_answer_as_moto_does() -> None:
    """Through the test process's moto server, which runs with the patches."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"patched-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    try:
        for body in ("one", "two", "three"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
        [received] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"])[
            "Messages"
        ]
        assert received["Body"] == "one" and received["Attributes"]["ApproximateReceiveCount"] == "1"
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "DelaySeconds"]
        assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"] == {
            "ApproximateNumberOfMessages": "2",
            "ApproximateNumberOfMessagesNotVisible": "1",
            "DelaySeconds": "0",
        }
        every = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert every["ApproximateNumberOfMessagesDelayed"] == "1"
        assert every["MessageRetentionPeriod"] == "345600"
        with pytest.raises(ClientError) as refused:
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "Colour"])
        assert refused.value.response["Error"]["Code"] == "InvalidAttributeName"
        rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert sorted(message["Body"] for message in rest) == ["three", "two"]
    finally:
        sqs.delete_queue(QueueUrl=url)


def _indexed_table(client: Any) -> None:
    client.create_table(
        TableName="Indexed",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gpk", "gsk")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "keys",
                "KeySchema": [
                    {"AttributeName": "gpk", "KeyType": "HASH"},
                    {"AttributeName": "gsk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _pages(client: Any, **query: Any) -> list[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
    """Every page of an index Query as (items, LastEvaluatedKey)."""
    pages = []
    while True:
        page = client.query(TableName="Indexed", IndexName="keys", **query)
        pages.append((page["Items"], page.get("LastEvaluatedKey")))
        if "LastEvaluatedKey" not in page:
            return pages
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_an_index_query_answers_as_moto_does_page_by_page_and_sees_every_write(
    dynamodb: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = dynamodb
    _indexed_table(client)
    for n in range(40):
        item = {"pk": {"S": f"g{n % 7}"}, "sk": {"S": f"row{n}"}, "v": {"S": "x" * n}}
        if n % 5:  # every fifth item is not in the index
            item |= {"gpk": {"S": f"p{n % 2}"}, "gsk": {"S": f"{n % 9:02d}"}}
        client.put_item(TableName="Indexed", Item=item)
    partition = {"KeyConditionExpression": "gpk = :h", "ExpressionAttributeValues": {":h": {"S": "p1"}}}
    queries = [
        partition,
        {**partition, "Limit": 3},
        {**partition, "Limit": 4, "ScanIndexForward": False},
        {
            "KeyConditionExpression": "gpk = :h AND gsk < :r",
            "ExpressionAttributeValues": {":h": {"S": "p0"}, ":r": {"S": "05"}},
            "Limit": 2,
        },
        {
            **partition,
            "Limit": 2,
            "FilterExpression": "gsk > :r",
            "ExpressionAttributeValues": {":h": {"S": "p1"}, ":r": {"S": "03"}},
        },
        {
            "KeyConditionExpression": "gpk = :h",
            "ExpressionAttributeValues": {":h": {"S": "none"}},
            "Limit": 1,
        },
    ]
    plain = [_pages(client, **dict(q)) for q in queries]
    with partition_queries():
        monkeypatch.setattr(Table, "all_items", lambda self: pytest.fail("the whole table was listed"))
        patched = [_pages(client, **dict(q)) for q in queries]
        # a write after a read (a new entry, a moved entry, a deleted one) is seen by the next read
        client.put_item(
            TableName="Indexed",
            Item={"pk": {"S": "new"}, "sk": {"S": "row"}, "gpk": {"S": "p1"}, "gsk": {"S": "00"}},
        )
        client.update_item(
            TableName="Indexed",
            Key={"pk": {"S": "g1"}, "sk": {"S": "row1"}},
            UpdateExpression="SET gpk = :p",
            ExpressionAttributeValues={":p": {"S": "p0"}},
        )
        client.delete_item(TableName="Indexed", Key={"pk": {"S": "g3"}, "sk": {"S": "row3"}})
        after_writes = _pages(client, **dict(partition))
    monkeypatch.undo()
    assert patched == plain
    assert [len(items) for items, _ in patched[1]][:2] == [3, 3]
    assert all(set(item) == {"pk", "sk", "gpk", "gsk"} for item in patched[0][0][0])
    assert after_writes == _pages(client, **dict(partition))
    listed = {item["pk"]["S"] + item["sk"]["S"] for item in after_writes[0][0]}
    assert "newrow" in listed and "g1row1" not in listed and "g3row3" not in listed


def test_item_responses_are_the_json_moto_writes(dynamodb: tuple) -> None:
    """Every kind of attribute value, read by each item-reading request, answers the same body with
    the values written as they stand as with moto's shape walk (binaries base64-encoded alike)."""
    client, _ = dynamodb
    item = {
        "pk": {"S": "a"},
        "sk": {"S": "1"},
        "b": {"B": b"\x00\xffbytes"},
        "n": {"N": "1.5"},
        "ss": {"SS": ["x", "y"]},
        "bs": {"BS": [b"\x01", b"\x02"]},
        "ns": {"NS": ["1", "2"]},
        "l": {"L": [{"S": "q"}, {"B": b"\x03"}, {"L": [{"N": "7"}]}]},
        "m": {"M": {"z": {"NULL": True}, "t": {"BOOL": False}, "inner": {"M": {"b": {"B": b"\x04"}}}}},
    }
    client.put_item(TableName="Named", Item=item)
    client.put_item(TableName="Named", Item={**item, "sk": {"S": "2"}})
    key = {"pk": {"S": "a"}, "sk": {"S": "1"}}

    def reads() -> list[Any]:
        answers = [
            client.get_item(TableName="Named", Key=key)["Item"],
            client.query(
                TableName="Named",
                KeyConditionExpression="pk = :a",
                ExpressionAttributeValues={":a": {"S": "a"}},
            )["Items"],
            client.batch_get_item(RequestItems={"Named": {"Keys": [key]}})["Responses"],
            client.scan(TableName="Named", Limit=1)["LastEvaluatedKey"],
        ]
        return [json.dumps(answer, default=repr, sort_keys=True) for answer in answers]

    walked = reads()
    with attribute_values():
        written = reads()
    assert written == walked
    assert client.get_item(TableName="Named", Key=key)["Item"] == item
