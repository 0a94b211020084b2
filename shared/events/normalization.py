"""Sentry's store normalization of an event, with Relay's own code (the ``sentry-relay`` package):
the same rules Sentry applies before it groups and stores an event, not a copy of them.

Configured as Sentry's event manager configures it for the store endpoint: the project, the time the
edge received the event (so events from the future or older than 30 days take that time, and every
delivery of a queued event normalizes alike), the client's IP address when known, the SDK's
protocol version, trimming on, and user agents parsed into ``browser`` / ``client_os`` contexts.

What Relay does to an event, among others: ``logentry`` formatted from its ``params`` (a bare
``message`` becomes ``logentry``), levels outside Sentry's five replaced with ``error``, an invalid
release dropped, ``tags`` as a list of pairs, ``user.sentry_user`` (the ``sentry:user`` tag),
``exception`` as ``{"values": [...]}``, the ``trace`` context, oversized values trimmed, unknown
top-level fields removed; each change is listed in the event's ``errors`` and ``_meta``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.events.scrubbing import PiiConfigs

# Sentry's MAX_SECS_IN_PAST / MAX_SECS_IN_FUTURE: a clock up to a minute ahead is trusted, an event
# older than 30 days is not.
MAX_PAST = timedelta(days=30)
MAX_FUTURE = timedelta(minutes=1)
PROTOCOL_VERSION = "7"
# Relay reads an event with serde_json, whose recursion limit (128) refuses a document whose objects
# and arrays nest deeper than this (the event object itself is the first level).
MAX_DEPTH = 127


def normalize(
    payload: dict[str, Any],
    project_id: int | None,
    received: datetime,
    client_ip: str | None = None,
    pii_configs: PiiConfigs = (),
) -> dict[str, Any]:
    """The event as Sentry stores it: normalized, then scrubbed with the project's data scrubbing
    configurations (``shared.events.scrubbing``), as Relay scrubs after normalizing. A normalizer is
    made per event (a few microseconds; the time received is part of its configuration);
    normalizing costs far more (see bench/normalization.py)."""
    # Imported here: the ingestion edge imports this module's neighbours but never normalizes, and
    # loading Relay's library would add about 0.1 s to its cold starts.
    from sentry_relay.processing import StoreNormalizer

    from shared.events.scrubbing import scrub

    normalizer = StoreNormalizer(
        project_id=project_id,
        client_ip=client_ip,
        received_at=received.isoformat(),
        protocol_version=PROTOCOL_VERSION,
        max_secs_in_past=int(MAX_PAST.total_seconds()),
        max_secs_in_future=int(MAX_FUTURE.total_seconds()),
        enable_trimming=True,
        normalize_user_agent=True,
        is_renormalize=False,
        remove_other=True,
    )
    return scrub(normalizer.normalize_event(payload), pii_configs)
