"""The jobs of the deletion queue, by ``type``: what the deletion worker runs for each message."""

from __future__ import annotations

from typing import Any

from shared.issues.deletion.queue import DELETE_GROUPS, DELETE_PROJECT, MERGE_GROUPS
from shared.issues.deletion.worker import delete_groups
from shared.issues.updates.merge import run_merge
from shared.projects.deletion import run_project_deletion


class UnknownJob(ValueError):
    """A message this worker cannot run: it fails, and lands in the dead-letter queue."""


def run_deletion_job(body: dict[str, Any]) -> None:
    kind = body.get("type")
    transaction_id = str(body.get("transaction_id", ""))
    if kind == DELETE_GROUPS:
        delete_groups([int(i) for i in body["group_ids"]], transaction_id)
    elif kind == MERGE_GROUPS:
        run_merge(int(body["parent_id"]), [int(i) for i in body["child_ids"]], transaction_id)
    elif kind == DELETE_PROJECT:
        run_project_deletion(int(body["project_id"]), transaction_id)
    else:
        raise UnknownJob(f"unknown deletion job type: {kind!r}")
