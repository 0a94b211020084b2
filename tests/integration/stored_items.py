"""Every stored item of every table and the depth of every queue of the template, for tests that
prove a refused call wrote and queued nothing."""

from __future__ import annotations

import boto3

from local.template import resources
from shared.config import settings

# The template's tables and the setting that names each in this environment.
_TABLE_SETTINGS = {
    "AccountsTable": "accounts_table",
    "CountersTable": "counters_table",
    "ReleasesTable": "releases_table",
    "IssuesTable": "issues_table",
}


def table_names() -> list[str]:
    """The names of every DynamoDB table of the template (a table without a setting fails loudly)."""
    return [getattr(settings(), _TABLE_SETTINGS[logical]) for logical in resources("AWS::DynamoDB::Table")]


def dump() -> dict[str, dict[tuple[str, str], dict]]:
    """Table → (pk, sk) → item, read with consistent scans."""
    client = boto3.client("dynamodb")
    tables: dict[str, dict[tuple[str, str], dict]] = {}
    for name in table_names():
        items: dict[tuple[str, str], dict] = {}
        for page in client.get_paginator("scan").paginate(TableName=name, ConsistentRead=True):
            for item in page["Items"]:
                key = (str(item.get("pk")), str(item.get("sk")))
                items[key] = item
        tables[name] = items
    return tables


def changes(before: dict, after: dict) -> dict[str, list]:
    """What differs between two dumps, per table: the keys added, removed or rewritten."""
    found: dict[str, list] = {}
    for table in before.keys() | after.keys():
        old, new = before.get(table, {}), after.get(table, {})
        differing = [key for key in old.keys() | new.keys() if old.get(key) != new.get(key)]
        if differing:
            found[table] = sorted(differing)
    return found


def queued() -> dict[str, int]:
    """Queue (logical id) → messages waiting, delayed or in flight, for every queue of the template."""
    from local.background import queued_messages

    return {queue: queued_messages(queue) for queue in resources("AWS::SQS::Queue")}
