"""Sentry's numbers and strings for group state, and qualified short ids in Sentry's base32."""

from __future__ import annotations

import pytest

from shared.issues.enums import (
    SUBSTATUS_TO_STR,
    ActivityType,
    GroupHistoryStatus,
    GroupInboxReason,
    GroupInboxRemoveAction,
    GroupResolutionStatus,
    GroupResolutionType,
    GroupStatus,
    GroupSubStatus,
)
from shared.issues.short_ids import format_short_id, parse_short_id


def test_status_numbers_match_sentry() -> None:
    assert [s.value for s in GroupStatus] == list(range(7))
    assert GroupStatus.RESOLVED == 1 and GroupStatus.PENDING_MERGE == 5
    assert {s.name: s.value for s in GroupSubStatus} == {
        "UNTIL_ESCALATING": 1,
        "ESCALATING": 2,
        "ONGOING": 3,
        "UNTIL_CONDITION_MET": 4,
        "FOREVER": 5,
        "REGRESSED": 6,
        "NEW": 7,
    }
    assert SUBSTATUS_TO_STR[GroupSubStatus.UNTIL_ESCALATING] == "archived_until_escalating"
    assert SUBSTATUS_TO_STR[GroupSubStatus.NEW] == "new"
    assert set(SUBSTATUS_TO_STR) == set(GroupSubStatus)


def test_inbox_activity_history_and_resolution_values() -> None:
    assert GroupInboxReason.NEW == 0 and GroupInboxReason.ONGOING == 6
    assert [a.value for a in GroupInboxRemoveAction] == ["resolved", "ignored", "mark_reviewed"]
    assert [a.value for a in ActivityType] == [*range(1, 28), 1001]  # 1001: ours, an alert fired
    assert ActivityType.MARK_REVIEWED == 23 and ActivityType.REFERENCED_IN_COMMIT == 27
    assert [h.value for h in GroupHistoryStatus] == list(range(21))
    assert GroupHistoryStatus.REVIEWED == 10 and GroupHistoryStatus.PRIORITY_LOW == 20
    assert (GroupResolutionType.IN_RELEASE, GroupResolutionType.IN_UPCOMING_RELEASE) == (0, 2)
    assert (GroupResolutionStatus.PENDING, GroupResolutionStatus.RESOLVED) == (0, 1)


@pytest.mark.parametrize(
    ("number", "text"),
    [(0, "WEB-0"), (1, "WEB-1"), (9, "WEB-9"), (10, "WEB-A"), (31, "WEB-Z"), (34, "WEB-12")],
)
def test_short_ids_are_sentry_base32(number: int, text: str) -> None:
    assert format_short_id("web", number) == text
    assert parse_short_id(text) == ("web", number)


def test_parse_short_id() -> None:
    assert parse_short_id("proj-web-12") == ("proj-web", 34)
    assert parse_short_id("  Proj-Web-1a ") == ("proj-web", 42)
    assert parse_short_id("WEB-1O") == parse_short_id("WEB-10")  # O read as 0, I/L as 1
    assert parse_short_id("WEB-L") == ("web", 1)
    assert parse_short_id("WEB-U") is None  # not in the alphabet
    assert parse_short_id("WEB") is None
    assert parse_short_id("-12") is None
    assert parse_short_id("WEB-" + "Z" * 14) is None  # beyond Sentry's 63-bit column
