"""A batch of queued events (SQS records): decoded, grouped by project and grouping hash, and each
hash's events counted together (``shared.ingest.pipeline``).

A hash whose events cannot be stored (a storage fault, a conflict that outlasted its retries)
fails alone: its records are reported as failed (powertools' ``BatchProcessor`` turns that into
``batchItemFailures``) and SQS delivers them again; the other records of the batch succeed. A
record that cannot be decoded fails too and reaches the dead-letter queue after its retries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from shared.ingest.event import Event, normalize_event
from shared.ingest.grouping import event_hash
from shared.ingest.pipeline import Outcome, ProjectRef, process_hash_events
from shared.ingest.queue import decode_event
from shared.metrics import EVENTS_DROPPED, EVENTS_PROCESSED, GROUPS_CREATED, count

logger = Logger(child=True)


@dataclass(frozen=True)
class _Decoded:
    message_id: str
    project: ProjectRef
    event: Event


def store_batch(records: list[dict[str, Any]]) -> set[str]:
    """Store the events of ``records``; returns the message ids that failed."""
    failed: set[str] = set()
    by_hash: dict[tuple[ProjectRef, str], list[_Decoded]] = defaultdict(list)
    for record in records:
        try:
            queued = decode_event(record["body"])
            event = normalize_event(queued.payload, queued.received)
        except Exception:
            logger.exception("undecodable event message", extra={"message_id": record.get("messageId")})
            failed.add(record["messageId"])
            continue
        decoded = _Decoded(record["messageId"], ProjectRef(queued.project_id, queued.org_id), event)
        by_hash[(decoded.project, event_hash(event))].append(decoded)

    def store(key: tuple[ProjectRef, str]) -> list[Outcome] | None:
        project, hash_value = key
        items = by_hash[key]
        unique = list({item.event.event_id: item.event for item in items}.values())  # a resend in the batch
        try:
            return process_hash_events(project, hash_value, unique)
        except Exception:
            logger.exception("events of a hash not stored", extra={"hash": hash_value, "events": len(unique)})
            return None

    outcomes: list[Outcome] = []
    # In the order of their first event, so new issues get their short ids in that order.
    for key in by_hash:
        stored = store(key)
        if stored is None:
            failed.update(item.message_id for item in by_hash[key])
        else:
            outcomes += stored
    count(EVENTS_PROCESSED, sum(1 for o in outcomes if o.group_id is not None))
    count(EVENTS_DROPPED, sum(1 for o in outcomes if o.discarded))
    count(GROUPS_CREATED, sum(1 for o in outcomes if o.is_new))
    return failed
