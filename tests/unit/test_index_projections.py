"""The template (what AWS and the local engines create) and the PynamoDB models agree on every
global secondary index's keys and projection, and the issue-list index carries no field that
counting rewrites: an index that projected the group would be rewritten by every event count, on
the project's one index key."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from pynamodb.indexes import GlobalSecondaryIndex

from local.template import resources
from shared.ingest.counting.writes import group_write
from shared.storage.issues import LISTING_FIELDS, IssueItem
from shared.storage.releases import ReleaseItem

MODELS = {"IssuesTable": IssueItem, "ReleasesTable": ReleaseItem}
# Template indexes no model reads, kept one release so a stack deployed before updates in one deploy
# (CloudFormation takes one GSI creation or deletion per table update: docs/decisions.md §issues.26).
RETIRED = {"IssuesTable": {"by_project_status"}}


def _template_indexes(table: str) -> dict[str, dict[str, Any]]:
    props = resources("AWS::DynamoDB::Table")[table]
    return {index["IndexName"]: index for index in props.get("GlobalSecondaryIndexes", [])}


def _declared(index: GlobalSecondaryIndex) -> dict[str, Any]:
    """The index as the template would spell it, from the model's declaration."""
    projection: dict[str, Any] = {"ProjectionType": index.Meta.projection.projection_type}
    if index.Meta.projection.non_key_attributes:
        projection["NonKeyAttributes"] = list(index.Meta.projection.non_key_attributes)
    keys = [
        {"AttributeName": attribute.attr_name, "KeyType": "HASH" if attribute.is_hash_key else "RANGE"}
        for attribute in index.Meta.attributes.values()
        if attribute.is_hash_key or attribute.is_range_key
    ]
    return {"IndexName": index.Meta.index_name, "KeySchema": keys, "Projection": projection}


def test_every_model_index_is_the_template_index() -> None:
    for table, model in MODELS.items():
        declared = {name: _declared(index) for name, index in model._indexes.items()}
        template = _template_indexes(table)
        assert declared.keys() == template.keys() - RETIRED.get(table, set()), table
        for name, index in declared.items():
            spelled = template[name]
            assert index["Projection"] == spelled["Projection"], name
            assert sorted(index["KeySchema"], key=str) == sorted(spelled["KeySchema"], key=str), name


def test_the_issue_list_index_carries_no_field_a_count_changes() -> None:
    """The entry carries the listing fields, and none of what counting a batch sets on the group
    changes on every batch (a same-value ``level`` aside, which is no change for the index)."""
    projection = _template_indexes("IssuesTable")["by_project_listing"]["Projection"]
    assert projection == {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(LISTING_FIELDS)}
    event = SimpleNamespace(timestamp=datetime.now(UTC), title="t", culprit="c", level="error")
    counted = group_write(1, True, None)([event])
    written = {action.values[0].path[0] for action in counted.actions}
    assert {"times_seen", "last_seen", "title"} <= written  # the check reads the real write
    assert written & set(projection["NonKeyAttributes"]) == {"level"}
