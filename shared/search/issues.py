"""Sentry's issue search (``issue_search.py``) over what the issues table keeps: each term of a query
becomes a check of a group (its own fields) or of a group and the rows beside it (assignee,
bookmark, subscription, inbox), or a condition on its events.

``is:``, ``assigned:``, ``assigned_or_suggested:``, ``bookmarks:``, ``subscribed:``,
``first-release:``, ``level:``, ``times_seen:``, ``age:``/``firstSeen:``, ``lastSeen:`` and free
text are the group's own fields. ``release:``, ``environment:``, ``user.*:``, ``has:`` and any tag
``key:value`` are conditions on events, as in Sentry: the event search engine
(``shared.search.engine``) finds the groups with an event meeting all of them among every kept
event of the searched projects, so a value an issue saw once is found. The fields the issue-list
index carries (level, first seen, first release, substatus: ``LISTING_FIELDS``) and the event
conditions (which need only the group's id) are tested on the index entries before any group is
read, and again on the group read. Suggested owners do not exist
here: ``assigned_or_suggested`` is ``assigned``."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from shared.accounts.users import find_user_by_name_or_email
from shared.auth.access import OrgAccess
from shared.issues.enums import STR_TO_SUBSTATUS, GroupStatus, GroupSubStatus
from shared.releases.ordering import project_versions
from shared.search.engine import matching_groups
from shared.search.event_sql import USER_COLUMNS, Condition, Dialect, EventFilter, has_name
from shared.search.grammar import InvalidSearchQuery, Term, parse
from shared.search.statuses import STATUS_WORDS
from shared.storage.accounts import Project, Team
from shared.storage.base import utcnow
from shared.storage.group_people import GroupAssignee, GroupBookmark, GroupSubscription
from shared.storage.issues import Group, GroupInbox
from shared.tags.summary import TagSummary

_IS_STATUSES = {**STATUS_WORDS, "reprocessing": GroupStatus.REPROCESSING}
_SUBSTATUS_STATUS = {
    GroupSubStatus.UNTIL_ESCALATING: GroupStatus.IGNORED,
    GroupSubStatus.UNTIL_CONDITION_MET: GroupStatus.IGNORED,
    GroupSubStatus.FOREVER: GroupStatus.IGNORED,
    GroupSubStatus.ESCALATING: GroupStatus.UNRESOLVED,
    GroupSubStatus.ONGOING: GroupStatus.UNRESOLVED,
    GroupSubStatus.REGRESSED: GroupStatus.UNRESOLVED,
    GroupSubStatus.NEW: GroupStatus.UNRESOLVED,
}
_IS_FLAGS = {"assigned", "unassigned", "for_review", "linked", "unlinked"}
IS_VALUES = sorted(set(_IS_STATUSES) | set(STR_TO_SUBSTATUS) | _IS_FLAGS)
# Sentry's key aliases (``issue_search_config.key_mappings``).
KEY_ALIASES = {
    "assigned": "assigned_to",
    "bookmarks": "bookmarked_by",
    "subscribed": "subscribed_by",
    "first-release": "first_release",
    "firstRelease": "first_release",
    "age": "first_seen",
    "firstSeen": "first_seen",
    "lastSeen": "last_seen",
    "timesSeen": "times_seen",
    "dist": "dist",
}
DATE_KEYS = {"first_seen", "last_seen"}
NUMERIC_KEYS = {"times_seen"}
CATEGORIES = {"error", "performance", "profile", "cron", "replay", "feedback", "uptime", "metric_alert"}
_RELATIVE = re.compile(r"^([+-])(\d+)([wdhm])$")
_ABSOLUTE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$")
_NUMBER = re.compile(r"^(-?\d+(?:\.\d*)?)([kmb])?$")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_MULTIPLIERS = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "=": lambda a, b: a == b,
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
}
LISTED_STATUSES = (GroupStatus.UNRESOLVED, GroupStatus.RESOLVED, GroupStatus.IGNORED)


@dataclass
class GroupRows:
    """The rows beside a group that checks may need (None when absent or not read)."""

    assignee: GroupAssignee | None = None
    bookmarked: bool = False
    subscribed: bool = False  # an active subscription
    in_inbox: bool = False
    tags: TagSummary = field(default_factory=TagSummary)


class ListingFields(Protocol):
    """What an issue-list index entry holds of a group (its id and ``LISTING_FIELDS``); a group has
    them too."""

    id: int
    level: str | None
    first_seen: datetime | None
    first_release_version: str | None
    substatus: int | None


GroupCheck = Callable[[Group], bool]
EntryCheck = Callable[[ListingFields], bool]
RowCheck = Callable[[Group, GroupRows], bool]


@dataclass
class IssueSearch:
    """A compiled query: the statuses whose index partitions are read, the checks of the fields the
    index entries carry, the checks of each group's other fields, and the checks that need rows
    beside it (``needs``: which)."""

    statuses: set[GroupStatus] = field(default_factory=set)
    entry_checks: list[EntryCheck] = field(default_factory=list)
    group_checks: list[GroupCheck] = field(default_factory=list)
    row_checks: list[RowCheck] = field(default_factory=list)
    needs: set[str] = field(default_factory=set)
    bookmark_user: int | None = None
    subscription_user: int | None = None

    @property
    def narrowed(self) -> bool:
        """Whether groups of the statuses read may still be left out."""
        return bool(self.entry_checks or self.group_checks or self.row_checks)

    @property
    def reads_to_filter(self) -> bool:
        """Whether groups must be read to know whether they match (not only to show them)."""
        return bool(self.group_checks or self.row_checks)

    def matches_entry(self, entry: ListingFields) -> bool:
        return all(check(entry) for check in self.entry_checks)

    def listed_statuses(self) -> list[GroupStatus]:
        return sorted(self.statuses or set(LISTED_STATUSES))

    def matches_group(self, group: Group) -> bool:
        """The group's own checks, those of the entry fields included (the group read is newer
        than its index entry)."""
        return self.matches_entry(group) and all(check(group) for check in self.group_checks)

    def matches_rows(self, group: Group, rows: GroupRows) -> bool:
        return all(check(group, rows) for check in self.row_checks)


@dataclass
class SearchContext:
    """Who searches, over which projects, and when (relative dates count from ``now``)."""

    user_id: int | None
    projects: Sequence[Project]
    access: OrgAccess | None = None
    now: datetime = field(default_factory=utcnow)
    # the start of the period whose events the event conditions search (None: all kept events)
    since: datetime | None = None


def _matcher(values: Sequence[str], ignore_case: bool = False) -> Callable[[str | None], bool]:
    """Whether a text equals one of ``values``; ``*`` is a wildcard (``\\*`` a literal star)."""
    patterns = [re.compile(_wildcard(v), re.IGNORECASE) for v in values if _has_wildcard(v)]
    exact = {v.replace("\\*", "*") for v in values if not _has_wildcard(v)}
    if ignore_case:
        exact = {v.lower() for v in exact}

    def matches(text: str | None) -> bool:
        if text is None:
            return False
        if (text.lower() if ignore_case else text) in exact:
            return True
        return any(p.match(text) for p in patterns)

    return matches


def _has_wildcard(value: str) -> bool:
    return bool(re.search(r"(?<!\\)(\\\\)*\*", value))


def _wildcard(value: str) -> str:
    out, index = "", 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            out += re.escape(value[index + 1])
            index += 2
            continue
        out += ".*" if char == "*" else re.escape(char)
        index += 1
    return f"^{out}$"


def _number(key: str, value: str) -> float:
    found = _NUMBER.match(value)
    if found is None:
        raise InvalidSearchQuery(
            f"{key}: Invalid number: {value}. Expected number then optional k, m, or b suffix (e.g. 500k)."
        )
    return float(found.group(1)) * _MULTIPLIERS.get(found.group(2) or "", 1)


def _invalid_date(key: str, value: str, now: datetime) -> InvalidSearchQuery:
    example = now.replace(tzinfo=None).isoformat(timespec="microseconds")[:-4]
    return InvalidSearchQuery(
        f"{key}: Invalid date: {value}. Expected +/-duration (e.g. +1h) or ISO 8601-like (e.g. {example})."
    )


def _absolute(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=utcnow().tzinfo)


def _date_bounds(term: Term, key: str, now: datetime) -> list[tuple[str, datetime]]:
    """(operator, moment) pairs a date term means: ``-24h`` within the last day, ``+24h`` older
    than a day, an ISO date with an operator, or a day (a datetime: five minutes each side)."""
    value = term.values[0]
    relative = _RELATIVE.match(value)
    if relative is not None and term.operator == "=":
        moment = now - timedelta(**{_UNITS[relative.group(3)]: int(relative.group(2))})
        return [(">=" if relative.group(1) == "-" else "<=", moment)]
    if not _ABSOLUTE.match(value) or term.is_list:
        raise _invalid_date(key, value, now)
    moment = _absolute(value)
    if term.operator != "=":
        return [(term.operator, moment)]
    span = timedelta(days=1) if "T" not in value else timedelta(minutes=5)
    start = moment if "T" not in value else moment - span
    return [(">=", start), ("<", moment + span)]


def _user_is(ids: set[int]) -> Callable[[GroupAssignee | None], bool]:
    return lambda a: a is not None and a.user_id is not None and a.user_id in ids


def _team_is(ids: set[int]) -> Callable[[GroupAssignee | None], bool]:
    return lambda a: a is not None and a.team_id is not None and a.team_id in ids


def _negate(check: Callable[..., bool], negated: bool) -> Callable[..., bool]:
    return (lambda *args: not check(*args)) if negated else check


class _Compiler:
    def __init__(self, context: SearchContext) -> None:
        self.context = context
        self.search = IssueSearch()
        self.excluded: set[GroupStatus] = set()
        self.substatus_statuses: set[GroupStatus] = set()
        self.has_status = False
        self.conditions: list[Condition] = []

    def compile(self, terms: list[Term]) -> IssueSearch:
        for term in terms:
            self.term(term)
        search = self.search
        if self.conditions:
            self.entry(_in_groups(EventFilter(tuple(self.conditions)), self.context))
        if not self.has_status and self.substatus_statuses:
            search.statuses = set(self.substatus_statuses)
        if self.excluded:
            search.statuses = set(search.statuses or LISTED_STATUSES) - self.excluded
            if not search.statuses:
                search.entry_checks.append(lambda g: False)
        return search

    def group(self, check: GroupCheck, negated: bool = False) -> None:
        self.search.group_checks.append(_negate(check, negated))

    def entry(self, check: EntryCheck, negated: bool = False) -> None:
        self.search.entry_checks.append(_negate(check, negated))

    def rows(self, need: str, check: RowCheck, negated: bool = False) -> None:
        self.search.needs.add(need)
        self.search.row_checks.append(_negate(check, negated))

    def term(self, term: Term) -> None:
        if term.key is None:
            return self.free_text(term.values[0], term.negated)
        key = KEY_ALIASES.get(term.key, term.key)
        handler = getattr(self, f"key_{key.replace('.', '_').replace('-', '_')}", None)
        if handler is not None:
            return handler(term, key)
        if key in USER_COLUMNS:
            return self.user_key(term, key)
        return self.tag(key, term)

    # -- the group's own fields --------------------------------------------------------------------
    def free_text(self, text: str, negated: bool = False) -> None:
        needle = text.lower()

        def matches(group: Group) -> bool:
            data = group.data.as_dict() if group.data is not None else {}
            metadata = data.get("metadata") or {}
            parts = [group.title, group.culprit, metadata.get("value"), metadata.get("type")]
            return needle in " ".join(str(part) for part in parts if part).lower()

        self.group(matches, negated)

    def key_message(self, term: Term, key: str) -> None:
        self.free_text(term.values[0], term.negated)

    def key_is(self, term: Term, key: str) -> None:
        value = term.values[0]
        if term.is_list:
            raise InvalidSearchQuery('"in" syntax invalid for "is" search')
        if value not in IS_VALUES:
            raise InvalidSearchQuery(f'Invalid value for "is" search, valid values are {IS_VALUES}')
        if value in _IS_STATUSES:
            self.has_status = True
            (self.excluded if term.negated else self.search.statuses).add(_IS_STATUSES[value])
        elif value in STR_TO_SUBSTATUS:
            substatus = STR_TO_SUBSTATUS[value]
            if not term.negated:
                self.substatus_statuses.add(_SUBSTATUS_STATUS[substatus])
            self.entry(lambda g: g.substatus is not None and g.substatus == substatus, term.negated)
        elif value in {"assigned", "unassigned"}:
            wanted = (value == "assigned") != term.negated
            self.rows("assignee", lambda g, r: (r.assignee is not None) == wanted)
        elif value == "for_review":
            self.rows("inbox", lambda g, r: r.in_inbox, term.negated)
        else:  # linked / unlinked: no external issue links are kept, so nothing is linked
            linked = (value == "linked") != term.negated
            self.entry(lambda g: not linked)

    def key_level(self, term: Term, key: str) -> None:
        matches = _matcher(term.values)
        self.entry(lambda g: matches(g.level), term.negated)

    def key_times_seen(self, term: Term, key: str) -> None:
        numbers = [_number(key, value) for value in term.values]
        compare = _COMPARE[term.operator]
        self.group(lambda g: any(compare(g.times_seen, n) for n in numbers), term.negated)

    def _dates(self, term: Term, key: str) -> Callable[[datetime | None], bool]:
        bounds = _date_bounds(term, key, self.context.now)
        return lambda moment: moment is not None and all(_COMPARE[op](moment, at) for op, at in bounds)

    def key_first_seen(self, term: Term, key: str) -> None:
        within = self._dates(term, key)
        self.entry(lambda g: within(g.first_seen), term.negated)

    def key_last_seen(self, term: Term, key: str) -> None:
        within = self._dates(term, key)
        self.group(lambda g: within(g.last_seen), term.negated)

    def _versions(self, values: Sequence[str]) -> list[str]:
        """Versions named, ``latest`` standing for each project's most recently added release."""
        versions: list[str] = []
        for value in values:
            if value == "latest":
                for project in self.context.projects:
                    versions += list(project_versions(project.id, limit=1))[:1]
                if not versions:
                    versions.append("")  # Sentry: no release, nothing matches
            else:
                versions.append(value)
        return versions

    def key_first_release(self, term: Term, key: str) -> None:
        matches = _matcher(self._versions(term.values))
        self.entry(lambda g: matches(g.first_release_version), term.negated)

    def key_release(self, term: Term, key: str) -> None:
        versions = tuple(self._versions(term.values))
        self.tag("release", Term("release", versions, "=", term.negated, term.is_list))

    def key_issue_category(self, term: Term, key: str) -> None:
        for value in term.values:
            if value not in CATEGORIES:
                raise InvalidSearchQuery(f"Invalid category value of '{value}'")
        errors = "error" in term.values
        self.entry(lambda g: errors, term.negated)

    def key_issue_type(self, term: Term, key: str) -> None:
        for value in term.values:
            if value != "error":
                raise InvalidSearchQuery(f"Invalid type value of '{value}'")
        self.entry(lambda g: True, term.negated)

    # -- people ------------------------------------------------------------------------------------
    def _actor_matchers(self, values: Sequence[str]) -> list[Callable[[GroupAssignee | None], bool]]:
        access = self.context.access
        my_teams = access.team_ids if access is not None else set()
        found: list[Callable[[GroupAssignee | None], bool]] = []
        for value in values:
            if value == "none":
                found.append(lambda a: a is None)
            elif value == "me":
                found.append(_user_is({self.context.user_id or -1}))
            elif value == "my_teams":
                found.append(_team_is(my_teams))
            elif value.startswith("#"):
                found.append(_team_is({self._team_id(value[1:])}))
            else:
                user = find_user_by_name_or_email(value)
                user_id = user.id if user is not None else (int(value) if value.isdecimal() else -1)
                found.append(_user_is({user_id}))
        return found

    def _team_id(self, slug: str) -> int:
        access = self.context.access
        if access is None:
            return -1
        try:
            return Team.get(*Team.key(access.organization.id, slug)).id
        except Team.DoesNotExist:
            return -1

    def key_assigned_to(self, term: Term, key: str) -> None:
        matchers = self._actor_matchers(term.values)
        self.rows("assignee", lambda g, r: any(m(r.assignee) for m in matchers), term.negated)

    key_assigned_or_suggested = key_assigned_to

    def _user_id(self, value: str) -> int:
        if value == "me":
            return self.context.user_id if self.context.user_id is not None else -1
        user = find_user_by_name_or_email(value)
        return user.id if user is not None else -1

    def key_bookmarked_by(self, term: Term, key: str) -> None:
        self.search.bookmark_user = self._user_id(term.values[0])
        self.rows("bookmark", lambda g, r: r.bookmarked, term.negated)

    def key_subscribed_by(self, term: Term, key: str) -> None:
        self.search.subscription_user = self._user_id(term.values[0])
        self.rows("subscription", lambda g, r: r.subscribed, term.negated)

    # -- the tag summary ---------------------------------------------------------------------------
    def key_has(self, term: Term, key: str) -> None:
        name = has_name(KEY_ALIASES.get(term.values[0], term.values[0]))
        if name == "first_release":
            self.entry(lambda g: g.first_release_version is not None, term.negated)
        elif name in {"level", "first_seen", "last_seen", "times_seen", "message", "title"}:
            self.entry(lambda g: True, term.negated)
        else:
            self.event(Condition("has", name, term))

    def event(self, condition: Condition) -> None:
        condition.sql(Dialect.DUCKDB)  # refuses a value no SQL literal holds, now rather than later
        self.conditions.append(condition)

    def user_key(self, term: Term, key: str) -> None:
        self.event(Condition("term", key, term))

    def tag(self, key: str, term: Term) -> None:
        self.event(Condition("term", key, term))


def _in_groups(found: EventFilter, context: SearchContext) -> EntryCheck:
    """Whether a group has an event meeting ``found`` (known from its id, so tested on the index
    entries): the engine runs once, at the first group checked (a query that is only validated
    never runs it)."""
    answer: dict[int, int] | None = None

    def check(group: ListingFields) -> bool:
        nonlocal answer
        if answer is None:
            answer = matching_groups(found, [p.id for p in context.projects], context.since)
        return group.id in answer

    return check


def compile_search(query: str, context: SearchContext) -> IssueSearch:
    """The search ``query`` asks for; 400 with Sentry's message when it is not a valid one."""
    return _Compiler(context).compile(parse(query))


def environment_filter(search: IssueSearch, environments: Sequence[str]) -> None:
    """``?environment=`` (repeatable): groups seen in one of them."""
    if environments:
        wanted = set(environments)
        search.needs.add("tags")
        search.row_checks.append(lambda g, r: bool(wanted & set(r.tags.values_of("environment"))))


def row_keys(search: IssueSearch, group_id: int) -> list[tuple[str, str]]:
    """The keys of the rows ``search`` needs for a group (the tag summary is read apart)."""
    keys = []
    if "assignee" in search.needs:
        keys.append(GroupAssignee.key(group_id))
    if "inbox" in search.needs:
        keys.append(GroupInbox.key(group_id))
    if "bookmark" in search.needs:
        keys.append(GroupBookmark.key(group_id, search.bookmark_user or 0))
    if "subscription" in search.needs:
        keys.append(GroupSubscription.key(group_id, search.subscription_user or 0))
    return keys
