"""What an issue update asks for, independent of HTTP: the validated body of Sentry's GroupValidator.

``fields`` are the names the client sent; a field not sent is never touched (``assignedTo: null``
unassigns, an absent ``assignedTo`` leaves the assignee alone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Where an assignment came from, as Sentry keeps it: one of these, else none.
ASSIGNED_BY_CHOICES = ("assignee_selector", "suggested_assignee")
ASSIGNED_BY_DEFAULT = "assignee_selector"


@dataclass(frozen=True)
class CommitTarget:
    commit: str
    repository: str


@dataclass(frozen=True)
class StatusDetails:
    in_next_release: bool | None = None
    in_upcoming_release: bool | None = None
    in_release: str | None = None
    in_future_release: str | None = None
    in_commit: CommitTarget | None = None
    until_escalating: bool = False
    ignore_duration: int | None = None
    ignore_count: int | None = None
    ignore_window: int | None = None
    ignore_user_count: int | None = None
    ignore_user_window: int | None = None

    @property
    def has_ignore_condition(self) -> bool:
        """Sentry's IGNORED_CONDITION_FIELDS: any option set makes the substatus "until condition met"."""
        return any(
            value is not None
            for value in (
                self.ignore_count,
                self.ignore_duration,
                self.ignore_user_count,
                self.ignore_user_window,
                self.ignore_window,
            )
        )


@dataclass(frozen=True)
class IssueUpdate:
    fields: frozenset[str] = frozenset()
    status: str | None = None
    substatus: str | None = None
    status_details: StatusDetails = field(default_factory=StatusDetails)
    inbox: bool | None = None
    has_seen: bool | None = None
    is_bookmarked: bool | None = None
    is_public: bool | None = None
    is_subscribed: bool | None = None
    merge: bool | None = None
    discard: bool | None = None
    assigned_to: str | None = None
    assigned_by: str | None = None
    priority: str | None = None
    echo: dict[str, Any] = field(default_factory=dict)

    def sent(self, name: str) -> bool:
        return name in self.fields
