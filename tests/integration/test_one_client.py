"""Every table model, the transactions and the SQS client share one botocore session and the models
one DynamoDB client: a process that touches many model classes of every table, from several threads,
builds one session, not one per model class (each new session parses botocore's data files again,
which made a function's first request take a second)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A fresh process (as a Lambda environment is): botocore's sessions and clients are counted from its
# first import on, then models of the four tables are read and written, from eight threads at once.
CHILD = """
import json
from concurrent.futures import ThreadPoolExecutor

import botocore.session

created = {"sessions": 0, "clients": 0}


def counting(kind, original):
    def wrapper(*args, **kwargs):
        created[kind] += 1
        return original(*args, **kwargs)
    return wrapper


botocore.session.Session.__init__ = counting("sessions", botocore.session.Session.__init__)
botocore.session.Session.create_client = counting("clients", botocore.session.Session.create_client)

from local.metering import count_requests
from shared import queues
from shared.sequences import allocate
from shared.storage.accounts import Organization, Pointer, Project, User
from shared.storage.counters import Counter
from shared.storage.group_state import GroupHourlyCount, GroupSnooze
from shared.storage.issues import Activity, Group, GroupInbox
from shared.storage.releases import ReleaseItem
from shared.storage.unique import create_unique

at_import = dict(created)
MISSING = "one-client-missing"
reads = [
    lambda: Organization.get(*Organization.key(MISSING)),
    lambda: User.get(*User.key(1)),
    lambda: Project.get(*Project.key(1, MISSING)),
    lambda: Group.get(*Group.key(1)),
    lambda: GroupInbox.get("GROUP#1", MISSING),
    lambda: Activity.get("GROUP#1", MISSING),
    lambda: GroupSnooze.get("GROUP#1", MISSING),
    lambda: GroupHourlyCount.get("GROUP#1", MISSING),
    lambda: Counter.get(MISSING),
    lambda: ReleaseItem.get("RELEASE#1#" + MISSING, MISSING),
]


def read(call):
    try:
        call()
    except Exception as error:
        assert type(error).__name__ == "DoesNotExist", repr(error)


with count_requests() as calls:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(read, reads * 2))
    allocate("one-client", 1)
    name = "one-client-" + str(allocate("one-client-name", 1)[0])
    create_unique(Pointer(pk=name, sk="ROW", target_pk="T", target_sk="T"), [(name + "-alias", "ROW")])
print(json.dumps({"at_import": at_import, "created": created, "calls": dict(calls)}))
"""


def test_models_of_every_table_share_one_session_and_one_client_across_threads() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    # The DynamoDB client and the SQS client, both built during the import (the init phase)
    assert figures["at_import"] == {"sessions": 1, "clients": 2}
    # and nothing more for twenty reads of ten model classes on eight threads, counters and a transaction,
    assert figures["created"] == {"sessions": 1, "clients": 2}
    # which all reached DynamoDB, counted by the local metering.
    calls = figures["calls"]
    assert calls["GetItem"] == 20, calls
    assert calls["UpdateItem"] == 2 and calls["TransactWriteItems"] == 1, calls
