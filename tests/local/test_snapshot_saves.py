"""A moto server's snapshot is written by its idle saver and again when it stops (Ctrl-C, SIGTERM);
the two may run at once. Each must leave a whole, readable snapshot of the newest state on disk."""

from __future__ import annotations

import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local.moto_snapshot import SNAPSHOT_NAME, Snapshots


@mock_aws
def test_two_saves_at_once_leave_a_readable_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # this process's own moto backends, which a server's snapshot pickles (not the suite's servers)
    client = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url="https://dynamodb.us-east-1.amazonaws.com"
    )
    client.create_table(
        TableName="kept",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName="kept", Item={"pk": {"S": "item"}})
    # a slow disk: each save's file write takes long enough for the other save to start its own
    write_bytes = Path.write_bytes

    def slow_write(path: Path, data: bytes) -> int:
        written = write_bytes(path, data)
        time.sleep(0.2)
        return written

    monkeypatch.setattr(Path, "write_bytes", slow_write)
    snapshots = Snapshots(tmp_path, threading.Lock(), idle=0, kept=("dynamodb",))

    with ThreadPoolExecutor(2) as pool:
        saves = [pool.submit(snapshots.save) for _ in range(2)]
        for save in saves:
            save.result()  # neither raised

    kept = pickle.loads((tmp_path / SNAPSHOT_NAME).read_bytes())
    assert [set(tables) for tables in kept.values()] == [{"kept"}]
    assert list(tmp_path.glob("*.tmp")) == []
