"""Deleting issues on request (Sentry's DELETE on group details and on the issue index): error
issues only, then the deletion pipeline, which answers at once and deletes after the delay."""

from __future__ import annotations

from shared.issues.categories import require_error_issues
from shared.issues.deletion.queue import delete_group_list
from shared.storage.issues import Group


def delete_issues(groups: list[Group]) -> None:
    """Queue ``groups`` for deletion; a non-error issue is a 400 and nothing is queued."""
    require_error_issues(groups, "deleted")
    if groups:
        delete_group_list(groups, delete_type="delete")
