"""Releases and environments named by events, created as Sentry's event manager does
(``_get_or_create_release_many``, ``Environment.get_or_create``, ``ReleaseProjectEnvironment``): the
first event naming a release creates it, links it to its project, and marks the (release, project,
environment) it was seen in; the first event naming an environment adds it to the project.

Once per batch, not per event: the batch's distinct names are looked up, and only missing rows are
written, each a conditional put or an idempotent update, so concurrent batches naming the same new
release create it once. What a warm processor already made or found is remembered
(``_known``): a storm of one release costs nothing after its first batch. A release newly linked to
the project settles the project's pending "resolved in the next release" resolutions, as a release
created by sentry-cli does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pynamodb.exceptions import PutError

from shared.ingest.counting.outcome import ProjectRef
from shared.ingest.event import Event
from shared.issues.status.pending_resolutions import settle_pending_resolutions
from shared.releases.deploys import is_valid_environment
from shared.releases.release_events import record_release_event
from shared.releases.service import ReleaseChanges, create_release_row, find_release, link_project_ids
from shared.sequences import allocate
from shared.storage.base import condition_failed
from shared.storage.environments import ProjectEnvironment
from shared.storage.releases import Release, ReleaseProjectEnvironment

_known: set[tuple[object, ...]] = set()
_releases: dict[tuple[int, int, str], Release] = {}
_spans: dict[tuple[int, str], tuple[datetime, datetime]] = {}
_KNOWN_LIMIT = 10_000


def forget_known() -> None:
    """Forget what this processor made or found, as a new (cold) processor starts."""
    _known.clear()
    _releases.clear()
    _spans.clear()


def _remember(key: tuple[object, ...]) -> None:
    if len(_known) >= _KNOWN_LIMIT:
        _known.clear()
    _known.add(key)


def record_named(project: ProjectRef, events: Sequence[Event]) -> frozenset[str]:
    """Create the releases, release environments and environments ``events`` name that are missing,
    and record the events on their releases (first and last event); the versions named, all of
    which exist now (a new group's first release must be a real one: ``new_groups``)."""
    environments = {e.environment for e in events if e.environment and is_valid_environment(e.environment)}
    pairs = {(e.release, e.environment) for e in events if e.release and e.environment in environments}
    versions = sorted({e.release for e in events if e.release})
    releases = {version: _release(project, version) for version in versions}
    for version in versions:
        _record_events(project, version, [e.timestamp for e in events if e.release == version])
    for name in sorted(environments):
        _environment(project, name)
    for version, name in sorted(pairs):
        if name is not None:
            _release_environment(project, releases[version], name)
    return frozenset(versions)


def _release(project: ProjectRef, version: str) -> Release:
    key = (project.org_id, project.id, version)
    if key in _releases:
        return _releases[key]
    release = find_release(project.org_id, version, consistent=True)
    if release is None:
        release, _ = create_release_row(project.org_id, version, ReleaseChanges(), None, None)
    if link_project_ids(release, [project.id]):
        settle_pending_resolutions(release, [project.id])
    if len(_releases) >= _KNOWN_LIMIT:
        _releases.clear()
    _releases[key] = release
    return release


def _record_events(project: ProjectRef, version: str, timestamps: list[datetime]) -> None:
    """The release's ``firstEvent``/``lastEvent`` moved to the batch's oldest and newest events of
    it: at most two conditional writes per release per batch, none when this processor already
    recorded a span that holds them."""
    first, last = min(timestamps), max(timestamps)
    key = (project.org_id, version)
    seen = _spans.get(key)
    if seen is not None and seen[0] <= first and last <= seen[1]:
        return
    for timestamp in sorted({first, last}):
        record_release_event(project.org_id, version, timestamp)
    if len(_spans) >= _KNOWN_LIMIT:
        _spans.clear()
    _spans[key] = (min(first, seen[0]), max(last, seen[1])) if seen else (first, last)


def _environment(project: ProjectRef, name: str) -> None:
    key = ("environment", project.id, name)
    if key in _known:
        return
    row = ProjectEnvironment(
        *ProjectEnvironment.key(project.id, name),
        id=allocate("environment")[0],
        project_id=project.id,
        org_id=project.org_id,
        name=name,
    )
    try:
        row.save(condition=ProjectEnvironment.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
    _remember(key)


def _release_environment(project: ProjectRef, release: Release, name: str) -> None:
    """The (release, project, environment) row Sentry writes on the first such event; an update
    that leaves a deploy's mark alone."""
    key = ("release_environment", project.id, release.version, name)
    if key in _known:
        return
    row = ReleaseProjectEnvironment(
        *ReleaseProjectEnvironment.key(release.org_id, release.version, project.id, name)
    )
    row.update(
        actions=[
            ReleaseProjectEnvironment.kind.set(ReleaseProjectEnvironment),
            ReleaseProjectEnvironment.project_id.set(project.id),
            ReleaseProjectEnvironment.environment.set(name),
            ReleaseProjectEnvironment.gsi1pk.set(ReleaseProjectEnvironment.index_pk(project.id, name)),
            ReleaseProjectEnvironment.gsi1sk.set(release.gsi1sk),
        ]
    )
    _remember(key)
