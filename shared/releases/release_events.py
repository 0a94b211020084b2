"""The events that carried a release: its ``firstEvent`` and ``lastEvent``.

Each event naming a release costs one conditional UpdateItem on the release: it sets ``last_event``
when the event is newer than the one recorded (and ``first_event`` when none is), so concurrent
events never move ``last_event`` backwards. The same request tells ingestion whether the release
exists (a new group's first release must be a real one); only when the condition fails is the
release read to tell "older event" from "no such release"."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from shared.storage.base import condition_failed
from shared.storage.releases import Release


def record_release_event(org_id: int, version: str, timestamp: datetime) -> bool:
    """Count an event of ``version`` at ``timestamp``; whether the release exists."""
    release = Release(*Release.key(org_id, version))
    try:
        release.update(
            actions=[
                Release.first_event.set(Release.first_event | timestamp),
                Release.last_event.set(timestamp),
            ],
            condition=Release.pk.exists()
            & (Release.last_event.does_not_exist() | (Release.last_event < timestamp)),
        )
        return True
    except UpdateError as error:
        if not condition_failed(error):
            raise
    try:
        stored = Release.get(*Release.key(org_id, version))
    except DoesNotExist:
        return False
    if stored.first_event is not None and timestamp < stored.first_event:
        _move_first_event_back(stored, timestamp)
    return True


def _move_first_event_back(release: Release, timestamp: datetime) -> None:
    """An event older than the release's first one (events may arrive out of order)."""
    try:
        release.update(
            actions=[Release.first_event.set(timestamp)],
            condition=Release.first_event > timestamp,
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
