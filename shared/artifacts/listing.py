"""A project's artifact bundles as Sentry lists them (``…/files/artifact-bundles/``), newest first,
optionally only those of one release or bundle id (``?query=``): what a release's page shows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from shared.auth.access import OrgAccess
from shared.auth.scopes import RELEASE_READ
from shared.projects.service import get_project
from shared.storage.artifacts import ArtifactBundle, bundles_pk


def project_bundles(access: OrgAccess, project_slug: str, query: str | None) -> Iterator[ArtifactBundle]:
    """The organization's stored bundles uploaded for the project (one Query of its bundle partition,
    filtered in code), newest first."""
    project = get_project(access, project_slug, RELEASE_READ)
    now = time.time()
    bundles = [
        bundle
        for bundle in ArtifactBundle.query(bundles_pk(access.organization.id))
        if bundle.state == "ok"
        and (bundle.expires_at or now) >= now
        and project.id in {int(p) for p in bundle.project_ids or ()}
    ]
    if query:
        bundles = [b for b in bundles if query in {b.release, b.checksum}]
    bundles.sort(key=lambda b: b.date_added, reverse=True)
    return iter(bundles)


def serialize_bundle(bundle: ArtifactBundle) -> dict[str, Any]:
    date = bundle.date_added.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {
        "bundleId": bundle.checksum,
        "associations": [{"release": bundle.release, "dist": bundle.dist}] if bundle.release else [],
        "fileCount": bundle.file_count or 0,
        "size": bundle.size or 0,
        "date": date,
        "dateModified": date,
    }
