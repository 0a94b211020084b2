"""Which releases contain a commit: what resolving an issue "in a commit" needs.

Every release-commit row is also in ``by_date`` under ``COMMIT#<commit id>`` with its release's
date key, so the releases containing a commit are one Query, newest first."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from shared.storage.releases import Release, ReleaseCommit, ReleaseItem


def latest_release_with_commit(commit_id: int, project_id: int) -> Release | None:
    """The most recently added release of the project whose commit log holds the commit (Sentry's
    choice for in-commit resolutions), or None when no release of the project contains it yet."""
    rows = ReleaseItem.by_date.query(ReleaseCommit.commit_index_pk(commit_id), scan_index_forward=False)
    for row in rows:
        try:
            release = Release.get(row.pk, "RELEASE")
        except DoesNotExist:
            continue
        if release.links_project(project_id):
            return release
    return None
