"""How a project's releases are ordered: by semantic version when the project follows semver, else
by the date they were added (Sentry's ``follows_semver_versioning_scheme``).

A project follows semver when its ten most recently added releases all parse as ``package@version``
or ``version`` with a semantic version (major, optionally minor and patch, pre-release, build).
Between two semver releases the greater version is newer; a pre-release sorts before its release and
the build part breaks ties, as Sentry's release columns do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from shared.storage.base import batch_get
from shared.storage.releases import Release, ReleaseProject, version_of

if TYPE_CHECKING:
    import semver

SEMVER_SAMPLE = 10


# A comparable semantic version: the version (whose ordering ignores build metadata, pre-releases
# first), then the build part as text to break ties.
SemverKey = tuple["semver.Version", str]


def semver_key(version: str) -> SemverKey | None:
    """The semver of a release version (``app@1.2.3-rc.1+7`` or ``1.2``), or None when it has none."""
    import semver  # only the routes that order releases parse versions: not paid at cold start

    _, _, text = version.rpartition("@")
    try:
        parsed = semver.Version.parse(text, optional_minor_and_patch=True)
    except (ValueError, TypeError):
        return None
    return parsed, parsed.build or ""


def project_versions(project_id: int, limit: int | None = SEMVER_SAMPLE) -> Iterator[str]:
    """The project's release versions, most recently added first, read lazily (one Query per page
    of links)."""
    links = ReleaseProject.by_date.query(
        ReleaseProject.project_index_pk(project_id), scan_index_forward=False, limit=limit
    )
    return (version_of(link.pk) for link in links)


def follows_semver(project_id: int) -> bool:
    """Whether the project's ten newest releases (at least one) all carry a semantic version."""
    versions = list(project_versions(project_id))
    return bool(versions) and all(semver_key(v) is not None for v in versions)


def greatest_semver_version(project_id: int) -> str | None:
    """The project's release with the greatest semantic version (reads all of its release links)."""
    keyed = [(key, v) for v in project_versions(project_id, limit=None) if (key := semver_key(v)) is not None]
    return max(keyed, key=lambda pair: pair[0])[1] if keyed else None


def is_newer(org_id: int, version: str, than: str, semver_order: bool) -> bool | None:
    """Whether release ``version`` is newer than ``than`` (``semver_order``: the project follows
    semver, see ``follows_semver``); None when it cannot be told (date order and one of them is not a
    stored release). Date order costs one BatchGetItem of the two releases."""
    if semver_order:
        mine, theirs = semver_key(version), semver_key(than)
        if mine is not None and theirs is not None:
            return theirs < mine
    stored = {
        r.version: r for r in batch_get(Release, sorted({Release.key(org_id, v) for v in (version, than)}))
    }
    if version not in stored or than not in stored:
        return None
    a, b = stored[version], stored[than]
    return (b.date_added, b.id) < (a.date_added, a.id)
