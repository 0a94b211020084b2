"""What deleting a project does to releases (Sentry's cascade of ReleaseProject rows): each release
forgets the project, and the link rows go. Without it, a release once linked to a deleted project
would stay hidden from everyone, because release visibility needs every linked project visible."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from shared.storage.base import condition_failed
from shared.storage.releases import Release, ReleaseItem, ReleaseProject


def remove_project_from_releases(project_id: int) -> int:
    """Unlink the project from every release; returns the links removed. Idempotent: the release is
    updated before its link is deleted, so a rerun after a crash finds the link and finishes."""
    removed = 0
    for link in ReleaseItem.by_date.query(ReleaseProject.project_index_pk(project_id)):
        if not isinstance(link, ReleaseProject):
            continue
        try:
            Release(link.pk, "RELEASE").update(
                actions=[Release.project_ids.delete({project_id})], condition=Release.pk.exists()
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
        link.delete()
        removed += 1
    return removed
