"""An issue's ``count`` in the environments a request names (``?environment=``, repeatable).

The processor already keeps, per issue, the events of each environment in the issue's tag summary
(``shared.tags.summary``: up to thirty environments, exact unless displaced, estimated when a storm's
batch is sampled), so narrowing costs no write: one BatchGetItem of the page's summaries. Hourly
counts and user sketches are kept per issue, not per environment, so ``userCount`` and ``stats``
stay over all environments."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from shared.storage.issues import Group
from shared.tags.store import many_group_tags
from shared.tags.summary import TagSummary


def environment_events(summary: TagSummary, environments: Collection[str]) -> int:
    """Events of the group seen in one of ``environments``, as its tag summary counts them."""
    counts = summary.keys.get("environment")
    if counts is None:
        return 0
    return sum(kept.count for kept in counts.values if kept.value in environments)


def narrow_counts(
    bodies: Sequence[dict[str, Any]], groups: Sequence[Group], environments: Collection[str]
) -> None:
    """Make each serialized group's lifetime ``count`` (``lifetime.count`` when a ``statsPeriod``
    chose ``count``) the events of ``environments``; nothing is read when none are named."""
    if not environments or not groups:
        return
    summaries = many_group_tags([g.id for g in groups])
    for body, group in zip(bodies, groups, strict=True):
        count = str(environment_events(summaries[group.id], environments))
        if "lifetime" in body:
            body["lifetime"]["count"] = count
        else:
            body["count"] = count
