"""The artifact-bundle items of the releases table: the bundles an organization uploaded (by checksum,
with their assemble state), and the indexes the processor resolves a frame's source map through —
by debug id, and by release, dist and URL — plus each release's bundles (so they go with it).

Bundle bytes live on S3 (``shared.artifacts.bundles``); these items say where, and which file of
the bundle's zip answers a debug id or URL. Every index item names its project, so a lookup is one
GetItem, and carries ``expires_at`` (the retention), which readers check themselves because
DynamoDB removes expired items only eventually (and moto never)."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from shared.storage.base import utcnow
from shared.storage.integers import IntegerAttribute
from shared.storage.releases import ReleaseItem


def bundles_pk(org_id: int) -> str:
    return f"ARTIFACTS#{org_id}"


def release_bundles_pk(org_id: int, version: str) -> str:
    return f"ARTIFACTS#{org_id}#RELEASE#{version}"


def debug_id_pk(project_id: int, debug_id: str) -> str:
    return f"SOURCEMAPS#{project_id}#DEBUGID#{debug_id.lower()}"


def url_pk(project_id: int, release: str, dist: str | None) -> str:
    return f"SOURCEMAPS#{project_id}#RELEASE#{release}#DIST#{dist or ''}"


class ArtifactBundle(ReleaseItem, discriminator="artifact_bundle"):
    """One uploaded bundle of an organization, deduplicated by the SHA-1 of its zip. Written
    ``assembling`` (a lease, so a concurrent assemble answers that state instead of working twice),
    then ``ok`` with what it indexed, or ``error`` with the detail sentry-cli prints."""

    org_id = IntegerAttribute()
    checksum = UnicodeAttribute()
    state = UnicodeAttribute()  # assembling | ok | error
    detail = UnicodeAttribute(null=True)
    lease_until = IntegerAttribute(null=True)  # epoch seconds an ``assembling`` claim holds
    object_key = UnicodeAttribute(null=True)
    size = IntegerAttribute(null=True)
    release = UnicodeAttribute(null=True)
    dist = UnicodeAttribute(null=True)
    project_ids = NumberSetAttribute(null=True)
    debug_ids = ListAttribute(of=UnicodeAttribute, null=True)  # of its source maps, for deletion
    urls = ListAttribute(of=UnicodeAttribute, null=True)  # its indexed URLs, for deletion
    file_count = IntegerAttribute(null=True)
    date_added = UTCDateTimeAttribute(default=utcnow)
    expires_at = IntegerAttribute(null=True)

    @staticmethod
    def key(org_id: int, checksum: str) -> tuple[str, str]:
        return bundles_pk(org_id), f"BUNDLE#{checksum}"


class ReleaseBundle(ReleaseItem, discriminator="release_bundle"):
    """A bundle uploaded for a release (``--release``): the release's page lists these, and
    deleting the release deletes them."""

    checksum = UnicodeAttribute()
    dist = UnicodeAttribute(null=True)
    file_count = IntegerAttribute(default=0)
    date_added = UTCDateTimeAttribute(default=utcnow)
    expires_at = IntegerAttribute(null=True)

    @staticmethod
    def key(org_id: int, version: str, checksum: str) -> tuple[str, str]:
        return release_bundles_pk(org_id, version), f"BUNDLE#{checksum}"


class SourceFileIndex(ReleaseItem, discriminator="source_file"):
    """Where one file of a bundle is: ``path`` inside the zip of bundle ``checksum``. Keyed by
    (project, debug id) with ``sk = source_map`` or by (project, release, dist) with
    ``sk = URL#<url>``; ``sourcemap`` is a minified file's reference to its map."""

    checksum = UnicodeAttribute()
    path = UnicodeAttribute()
    file_type = UnicodeAttribute()  # source_map | minified_source | source
    sourcemap = UnicodeAttribute(null=True)
    debug_id = UnicodeAttribute(null=True)
    expires_at = IntegerAttribute(null=True)
