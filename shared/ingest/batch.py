"""A batch of queued events (SQS records): decoded, grouped by project and grouping hash, and each
hash's events counted together, the hashes of a ledger shard in shared transactions
(``shared.ingest.pipeline``).

A hash whose events cannot be stored (a storage fault, a conflict that outlasted its retries)
fails with the hashes it shared a transaction with, if any: their records are reported as failed
(powertools' ``BatchProcessor`` turns that into ``batchItemFailures``) and SQS delivers them
again; the other records of the batch succeed. A
record that cannot be decoded, or whose event cannot be prepared (its project's scrubbing options
unreadable, a fault symbolicating it), fails too and reaches the dead-letter queue after its retries.
Each event's id is then claimed for its message (``shared.ingest.claims``): a resend (another
message holds the id) is dropped and its record done; a fault of the claim fails the record.
The counted events are then kept in the event store (``shared.events.store``); when that fails,
their records fail too."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from shared.artifacts.symbolication import symbolicated_event
from shared.events.scrubbing import BatchScrubbing
from shared.events.store import Counted, keep_counted
from shared.ingest.claims import Claim, Verdict, claim_all
from shared.ingest.event import Event
from shared.ingest.grouping import event_hash
from shared.ingest.pipeline import Outcome, ProjectRef, process_events
from shared.ingest.queue import decode_event
from shared.metrics import EVENTS_DROPPED, EVENTS_PROCESSED, GROUPS_CREATED, count
from shared.releases.from_events import record_named

logger = Logger(child=True)


@dataclass(frozen=True)
class _Decoded:
    message_id: str
    project: ProjectRef
    event: Event
    received: datetime


def store_batch(records: list[dict[str, Any]]) -> set[str]:
    """Store the events of ``records``; returns the message ids that failed."""
    failed: set[str] = set()
    by_hash: dict[tuple[ProjectRef, str], list[_Decoded]] = defaultdict(list)
    scrubbing = BatchScrubbing()
    prepared: list[_Decoded] = []
    for record in records:
        try:
            queued = decode_event(record["body"])
        except Exception:
            logger.exception("undecodable event message", extra={"message_id": record.get("messageId")})
            failed.add(record["messageId"])
            continue
        try:  # the project's scrubbing options are read here (once a batch): a fault fails the record
            pii = scrubbing.of(queued.project_id)
            event = symbolicated_event(queued.payload, queued.project_id, queued.org_id, queued.received, pii)
        except Exception:
            logger.exception("event not prepared", extra={"message_id": record.get("messageId")})
            failed.add(record["messageId"])
            continue
        project = ProjectRef(queued.project_id, queued.org_id)
        prepared.append(_Decoded(record["messageId"], project, event, queued.received))
    claimed, first = _claimed(prepared, failed)
    for decoded in claimed:
        by_hash[(decoded.project, event_hash(decoded.event))].append(decoded)

    by_project: dict[ProjectRef, dict[str, list[Event]]] = defaultdict(dict)
    # Each project's hashes in the order of their first event, so new issues get their short ids in
    # that order.
    for project, hash_value in by_hash:
        by_project[project][hash_value] = [item.event for item in by_hash[(project, hash_value)]]
    outcomes: list[Outcome] = []
    counted: list[Counted] = []
    for project, events in by_project.items():
        try:  # before counting: a new group's first release must exist
            releases = record_named(project, [event for hashed in events.values() for event in hashed])
        except Exception:
            logger.exception("releases or environments of a batch not stored", extra={"project": project.id})
            failed.update(i.message_id for (p, _), items in by_hash.items() if p == project for i in items)
            continue
        for hash_value, stored in process_events(project, events, releases, first[project.id]).items():
            if isinstance(stored, Exception):
                logger.error(
                    "events of a hash not stored",
                    extra={"hash": hash_value, "events": len(events[hash_value])},
                    exc_info=stored,
                )
                failed.update(item.message_id for item in by_hash[(project, hash_value)])
            else:
                outcomes += stored
                counted += _counted(project, hash_value, by_hash[(project, hash_value)], stored)
    try:
        keep_counted(counted)
    except Exception:
        logger.exception("counted events not kept", extra={"events": len(counted)})
        failed.update(item.message_id for item in counted)
    count(EVENTS_PROCESSED, sum(1 for o in outcomes if o.group_id is not None))
    count(EVENTS_DROPPED, sum(1 for o in outcomes if o.discarded))
    count(GROUPS_CREATED, sum(1 for o in outcomes if o.is_new))
    return failed


def _claimed(prepared: list[_Decoded], failed: set[str]) -> tuple[list[_Decoded], dict[int, set[str]]]:
    """The events whose ids their messages hold (``shared.ingest.claims``), and the ids among them
    claimed for the first time, by project: a resend (another message holds its id) is dropped, its
    record done; one whose claim failed fails its record."""
    claims = [Claim(item.project.id, item.event.event_id, item.received) for item in prepared]
    decided = claim_all(claims)
    kept: list[_Decoded] = []
    first: dict[int, set[str]] = defaultdict(set)
    resent, faults = 0, []
    for item, claim in zip(prepared, claims, strict=True):
        outcome = decided[claim]
        if isinstance(outcome, Exception):
            faults.append(outcome)
            failed.add(item.message_id)
        elif outcome is Verdict.RESENT:
            resent += 1
        else:
            kept.append(item)
            if outcome is Verdict.FIRST:
                first[item.project.id].add(item.event.event_id)
    if faults:  # one line for the batch: a storage fault refuses many claims at once
        logger.error("event ids not claimed", extra={"events": len(faults)}, exc_info=faults[0])
    if resent:
        logger.info("resent events dropped", extra={"events": resent})
    return kept, first


def _counted(
    project: ProjectRef, hash_value: str, decoded: list[_Decoded], stored: list[Outcome]
) -> list[Counted]:
    """The events of a hash that belong to a group (counted now or by an earlier delivery)."""
    found = []
    for item, outcome in zip(decoded, stored, strict=True):
        group_id = outcome.group_id if outcome.group_id is not None else outcome.counted_on
        if group_id is not None:
            found.append(
                Counted(
                    item.message_id,
                    project.org_id,
                    project.id,
                    hash_value,
                    group_id,
                    item.event,
                    item.received,
                )
            )
    return found
