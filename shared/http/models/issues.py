"""Body of the issue updates (``PUT /issues/{id}/`` and the bulk PUTs): Sentry's GroupValidator and
StatusDetailsValidator, field by field, with their legacy aliases and Django REST framework wording.

What needs the database (releases, commits, assignees, the discard scope) is validated by the domain
before its first write; this model only checks shapes and ranges."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema, field_validator, model_validator

from shared.http.models.fields import NotNull
from shared.issues.comments import MAX_COMMENT_TEXT
from shared.issues.enums import STATUS_UPDATE_CHOICES, STR_TO_SUBSTATUS
from shared.issues.updates.assignment import UNRESOLVED_ACTOR
from shared.issues.updates.request import ASSIGNED_BY_DEFAULT, CommitTarget, IssueUpdate, StatusDetails

MAX_WINDOW_MINUTES = 7 * 24 * 60  # Sentry's ignoreWindow / ignoreUserWindow bound
PRIORITY_CHOICES = ("low", "medium", "high")


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("This field may not be null.")
    return value


def _choice(value: Any, choices: Any) -> Any:
    if value not in choices:
        raise ValueError(f'"{value}" is not a valid choice.')
    return value


def _not_boolean(value: Any) -> Any:
    """DRF's IntegerField reads ``str(value)``: ``true``/``false`` are not integers (pydantic's lax
    mode would take them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError("A valid integer is required.")
    return value


def _minimum(value: int | None) -> int | None:
    if value is not None and value < 0:
        raise ValueError("Ensure this value is greater than or equal to 0.")
    return value


def _window(value: int | None) -> int | None:
    _minimum(value)
    if value is not None and value > MAX_WINDOW_MINUTES:
        raise ValueError(f"Ensure this value is less than or equal to {MAX_WINDOW_MINUTES}.")
    return value


def _nullable(schema: dict[str, Any]) -> WithJsonSchema:
    """The documented schema of an optional field that may also be sent as null."""
    return WithJsonSchema({"anyOf": [schema, {"type": "null"}]})


# The documented schemas say what the validators below accept (the fuzzing checks that they agree):
# booleans may not be null (DRF's BooleanField); the ignore options may, as sentry-cli sends
# ``"snoozeDuration": null`` with every update (null means "not given").
# DRF's BooleanField (as pydantic's) also reads 1/0 and the words for them.
BOOLEAN_WORDS = ["true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", "1", "0"]
Flag = Annotated[
    bool | None, NotNull, WithJsonSchema({"anyOf": [{"type": "boolean"}, {"enum": [0, 1, *BOOLEAN_WORDS]}]})
]
Count = Annotated[int | None, BeforeValidator(_not_boolean), _nullable({"type": "integer", "minimum": 0})]
Window = Annotated[
    int | None,
    BeforeValidator(_not_boolean),
    _nullable({"type": "integer", "minimum": 0, "maximum": MAX_WINDOW_MINUTES}),
]


def _not_boolean_actor(value: Any) -> Any:
    """``true``/``false`` name no actor (pydantic's lax mode would read them as the ids 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError(UNRESOLVED_ACTOR)
    return value


class CommitIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    commit: str
    repository: str


class _IgnoreOptions(BaseModel):
    """The ignore options, valid both at the top level and inside ``statusDetails``."""

    model_config = ConfigDict(extra="ignore")

    ignoreDuration: Count = None
    ignoreCount: Count = None
    ignoreWindow: Window = None
    ignoreUserCount: Count = None
    ignoreUserWindow: Window = None

    @field_validator("ignoreDuration", "ignoreCount", "ignoreUserCount")
    @classmethod
    def _non_negative(cls, value: int | None) -> int | None:
        return _minimum(value)

    @field_validator("ignoreWindow", "ignoreUserWindow")
    @classmethod
    def _in_window(cls, value: int | None) -> int | None:
        return _window(value)


class StatusDetailsIn(_IgnoreOptions):
    inNextRelease: Flag = None
    inUpcomingRelease: Flag = None
    inRelease: str | None = None
    inFutureRelease: str | None = None
    inCommit: CommitIn | None = None
    ignoreUntilEscalating: Flag = None
    untilEscalating: Flag = None


def _discard_alone_schema(schema: dict[str, Any]) -> None:
    """Documents ``_discard_alone``: with ``"discard": true`` no other field of the update is sent."""
    others = {name: False for name in schema["properties"] if name != "discard"}
    discarding = [True, 1, *BOOLEAN_WORDS[0::2]]  # what reads as true
    schema["if"] = {"properties": {"discard": {"enum": discarding}}, "required": ["discard"]}
    schema["then"] = {"properties": others}


class IssueUpdateIn(_IgnoreOptions):
    """Only submitted fields change; unknown fields are ignored, as Sentry does."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_discard_alone_schema)

    status: Annotated[str | None, WithJsonSchema({"type": "string", "enum": list(STATUS_UPDATE_CHOICES)})] = (
        None
    )
    substatus: Annotated[str | None, _nullable({"type": "string", "enum": list(STR_TO_SUBSTATUS)})] = None
    statusDetails: StatusDetailsIn | None = None
    snoozeDuration: Count = None  # legacy name of ignoreDuration
    inbox: Flag = None
    hasSeen: Flag = None
    isBookmarked: Flag = None
    isPublic: Flag = None
    isSubscribed: Flag = None
    merge: Flag = None
    discard: Flag = None
    # An actor: "user:1", "team:2", a user id, a username or email; the domain resolves it.
    assignedTo: Annotated[str | int | None, BeforeValidator(_not_boolean_actor)] = None
    assignedBy: str | None = None  # read from the raw body, as Sentry does (not a validator field)
    priority: Annotated[str | None, WithJsonSchema({"type": "string", "enum": list(PRIORITY_CHOICES)})] = None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        return _choice(_not_null(value), STATUS_UPDATE_CHOICES)

    @field_validator("substatus")
    @classmethod
    def _substatus(cls, value: str | None) -> str | None:
        return None if value is None else _choice(value, STR_TO_SUBSTATUS)

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: str | None) -> str | None:
        return _choice(_not_null(value), PRIORITY_CHOICES)

    @field_validator("snoozeDuration")
    @classmethod
    def _snooze(cls, value: int | None) -> int | None:
        return _minimum(value)

    @model_validator(mode="after")
    def _discard_alone(self) -> IssueUpdateIn:
        if self.discard and len(self.model_fields_set - {"discard"}) > 0:
            raise ValueError("Other attributes cannot be updated when discarding")
        return self

    def to_update(self) -> IssueUpdate:
        """The domain's update. Like Sentry, ``statusDetails`` when given replaces the top-level
        ignore options (``status_details = result.pop("statusDetails", result)``)."""
        given = self.model_fields_set
        source: _IgnoreOptions = self.statusDetails if self.statusDetails is not None else self
        duration = source.ignoreDuration
        if duration is None and self.statusDetails is None:
            duration = self.snoozeDuration
        sd = self.statusDetails
        details = StatusDetails(
            in_next_release=None if sd is None else sd.inNextRelease,
            in_upcoming_release=None if sd is None else sd.inUpcomingRelease,
            in_release=None if sd is None else sd.inRelease,
            in_future_release=None if sd is None else sd.inFutureRelease,
            in_commit=None if sd is None or sd.inCommit is None else CommitTarget(**sd.inCommit.model_dump()),
            until_escalating=bool(sd is not None and (sd.ignoreUntilEscalating or sd.untilEscalating)),
            ignore_duration=duration,
            ignore_count=source.ignoreCount,
            ignore_window=source.ignoreWindow,
            ignore_user_count=source.ignoreUserCount,
            ignore_user_window=source.ignoreUserWindow,
        )
        return IssueUpdate(
            fields=frozenset(given),
            status=self.status,
            substatus=self.substatus,
            status_details=details,
            inbox=self.inbox,
            has_seen=self.hasSeen,
            is_bookmarked=self.isBookmarked,
            is_public=self.isPublic,
            is_subscribed=self.isSubscribed,
            merge=self.merge,
            discard=self.discard,
            assigned_to=None if self.assignedTo is None else str(self.assignedTo),
            assigned_by=self.assignedBy if "assignedBy" in given else ASSIGNED_BY_DEFAULT,
            priority=self.priority,
            echo=self.model_dump(mode="json", include=set(given) - {"assignedBy"}),
        )


# Text with something besides (ASCII) whitespace, which is trimmed.
_COMMENT_TEXT = {"type": "string", "pattern": "[^ \\t\\n\\r\\v\\f]", "maxLength": MAX_COMMENT_TEXT}


class CommentIn(BaseModel):
    """A comment on an issue (Sentry's NoteSerializer): ``text``, trimmed, not blank;
    ``shared.issues.comments`` answers Sentry's messages for a blank or non-text one."""

    model_config = ConfigDict(extra="allow")

    text: Annotated[Any, WithJsonSchema(_COMMENT_TEXT)]
