"""What the code may rely on from whichever engine serves DynamoDB (moto or DynamoDB Local): empty
non-key strings are stored and read back, empty keys are refused as DynamoDB refuses them, and a
transaction conflict is retried where every DynamoDB call is wrapped."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from local.faults import arm, disarm
from shared.config import settings
from shared.storage.accounts import Pointer
from shared.storage.dynamodb import client
from shared.storage.unique import create_unique
from tests import conftest
from tests.conftest import unique


def test_an_empty_non_key_string_reads_back_empty() -> None:
    key = {"pk": {"S": unique("EMPTY")}, "sk": {"S": "ROW"}}
    item = {**key, "note": {"S": ""}, "nested": {"M": {"inner": {"S": ""}}}, "list": {"L": [{"S": ""}]}}
    client().put_item(TableName=settings().issues_table, Item=item)
    stored = client().get_item(TableName=settings().issues_table, Key=key, ConsistentRead=True)["Item"]
    assert stored == item


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ClientError) as refused:
        client().put_item(TableName=settings().issues_table, Item={"pk": {"S": ""}, "sk": {"S": "ROW"}})
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_a_transaction_conflict_is_retried_until_it_passes() -> None:
    entity = Pointer(pk=unique("CONFLICT"), sk="ROW", target_pk="T", target_sk="T")
    arm(conftest.faults_url, seed=3, rate=0.6, faults=["TransactionConflict"])
    try:
        create_unique(entity, [(unique("NAME"), "ROW")])
    finally:
        injected = disarm(conftest.faults_url)
    assert injected.get("TransactionConflict", 0) >= 1
    assert Pointer.get(entity.pk, "ROW", consistent_read=True).target_pk == "T"
