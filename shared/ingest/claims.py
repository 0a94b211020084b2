"""An event id counts once per project, whatever its payload: before a batch's events are counted,
each id is claimed for the queued message that carries it.

The ledger (``shared.ingest.ledger``) finds an event by the second its SDK claimed and the shard
of its grouping hash, so every delivery of one message counts it once; but a client that sends the
same id again with another timestamp or fingerprint would land in another partition. So each event
is first claimed: one conditional PutItem of an ``EventClaim`` (``CLAIM#<project>#<event id>``)
holding the edge's receipt time of its message, on condition that the id is unclaimed or claimed
with that same receipt time. The receipt time is in the message body, so SQS redeliveries and
dead-letter redrives of the claiming message pass (and the ledger counts them once, as before),
while any other message with the id — an SDK's resend through the edge, whatever it changed — is
refused by the condition: a duplicate, dropped. Of concurrent claims of one id exactly one wins.

A claim also says whether an earlier delivery of its message claimed the id before (the put
returns the item it replaced): an id claimed for the first time cannot be in the ledger yet (no
other message may count it, and none of its own came earlier), so its ledger partitions need no
read before counting (``Verdict.FIRST``); the read after counting still finds a delivery of the
same message that raced it.

A conditional write cannot be batched, so a batch's claims are sent side by side
(``shared.side_by_side``, ``CLAIM_THREADS``: the connection's pool). A claim that fails otherwise
(a fault that outlasted its retries) is reported as such: its record fails and SQS delivers it
again (the claim may have been written; the redelivery carries the same receipt time). See
docs/decisions.md §ingest.20."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from pynamodb.exceptions import PutError

from shared.side_by_side import side_by_side_raising
from shared.storage.base import condition_failed, utcnow
from shared.storage.group_state import COUNTED_EVENTS_RETENTION_DAYS, EventClaim

# Claims in flight at once: PynamoDB's connection pool holds 10 connections.
CLAIM_THREADS = 10
RETENTION = timedelta(days=COUNTED_EVENTS_RETENTION_DAYS)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Verdict(Enum):
    """What a claim found: the id claimed now for the first time, claimed before by a delivery of
    the same message, or held by another message (a resend)."""

    FIRST = "first"
    AGAIN = "again"
    RESENT = "resent"


@dataclass(frozen=True)
class Claim:
    """An event id of a project, as carried by the message received at ``received``."""

    project_id: int
    event_id: str
    received: datetime

    @property
    def receipt(self) -> int:
        """The receipt time in whole microseconds (exact: no float in between)."""
        return (self.received - _EPOCH) // timedelta(microseconds=1)


def claim_all(claims: Iterable[Claim]) -> dict[Claim, Verdict | Exception]:
    """Claim each event id for its message: its ``Verdict``, or the exception that kept the claim
    from being decided. Messages of one batch carrying the same id claim it one after another, the
    earliest received first, so the first one sent wins within a batch as it does across batches."""
    by_id: dict[tuple[int, str], list[Claim]] = defaultdict(list)
    for claim in dict.fromkeys(claims):
        by_id[(claim.project_id, claim.event_id)].append(claim)
    expires = utcnow() + RETENTION

    def claim_in_order(key: tuple[int, str]) -> list[tuple[Claim, Verdict | Exception]]:
        return [(claim, _claim(claim, expires)) for claim in sorted(by_id[key], key=lambda c: c.receipt)]

    # each claim's own fault is its verdict (``_claim``): a step never raises
    decided = side_by_side_raising(claim_in_order, by_id, CLAIM_THREADS)
    return dict(pair for pairs in decided.values() for pair in pairs)


def _claim(claim: Claim, expires: datetime) -> Verdict | Exception:
    receipt = claim.receipt
    item = EventClaim(*EventClaim.key(claim.project_id, claim.event_id), receipt=receipt, expires_at=expires)
    args, kwargs = item._get_save_args(
        condition=EventClaim.pk.does_not_exist() | (EventClaim.receipt == receipt)
    )
    try:
        replaced = item._get_connection().put_item(*args, **kwargs, return_values="ALL_OLD")
    except PutError as error:
        return Verdict.RESENT if condition_failed(error) else error
    except Exception as error:
        return error
    return Verdict.AGAIN if replaced.get("Attributes") else Verdict.FIRST
