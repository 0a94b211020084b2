"""Sentry's event-level search terms as SQL over the event store (``shared.search.engine``): any
tag ``key:value``, ``user.*:``, ``has:``, free text, negation, wildcards and lists, each a condition
on one event, as Sentry's event search asks of its events table.

One SQL text serves both engines (DuckDB locally, Athena on AWS); the only difference is how a tag's
value is read from the ``tags`` map: ``element_at(tags, 'k')`` in Athena (Trino) answers NULL for a
missing key, which DuckDB spells ``tags['k']``. Values are written as SQL string literals (quotes
doubled), never pasted as code; a wildcard becomes ``LIKE … ESCAPE '\\'``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from shared.search.grammar import InvalidSearchQuery, Term, parse

# ``user.<field>`` keys and the field of the kept ``user`` column they read.
USER_COLUMNS = {"user.id": "id", "user.email": "email", "user.username": "username", "user.ip": "ip"}
_CONTROL = {chr(code) for code in range(32)} - {"\t"}


class Dialect(Enum):
    DUCKDB = "duckdb"
    ATHENA = "athena"


@dataclass(frozen=True)
class Condition:
    """One event condition: a tag or user ``term`` on ``key``, ``has:key``, or free text."""

    kind: str  # "term", "has" or "text"
    key: str
    term: Term

    def sql(self, dialect: Dialect) -> str:
        if self.kind == "text":
            return text_condition(self.term.values[0], self.term.negated)
        if self.kind == "has":
            return has_condition(self.key, self.term.negated, dialect)
        return term_condition(self.key, self.term, dialect)


@dataclass(frozen=True)
class EventFilter:
    """The event conditions of a query, all of which one event must meet."""

    conditions: tuple[Condition, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.conditions)

    def where(self, dialect: Dialect) -> str:
        return " AND ".join(f"({c.sql(dialect)})" for c in self.conditions) or "TRUE"


def literal(value: str) -> str:
    """``value`` as an SQL string literal; 400 for control characters no tag or user holds."""
    if any(char in _CONTROL for char in value):
        raise InvalidSearchQuery("Invalid character in search value")
    return "'" + value.replace("'", "''") + "'"


def _has_wildcard(value: str) -> bool:
    escaped = False
    for char in value:
        if char == "*" and not escaped:
            return True
        escaped = char == "\\" and not escaped
    return False


def like_pattern(value: str) -> str:
    """A Sentry wildcard (``*`` any text, ``\\*`` a star) as a LIKE pattern with ``\\`` as escape."""
    out, index = [], 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            char = value[index + 1]
            out.append("\\" + char if char in "%_\\" else char)
            index += 2
            continue
        out.append("%" if char == "*" else "\\" + char if char in "%_\\" else char)
        index += 1
    return "".join(out)


def value_match(column: str, values: Sequence[str]) -> str:
    """``column`` equals one of ``values`` (or matches it, for a wildcard)."""
    parts = []
    for value in values:
        if _has_wildcard(value):
            parts.append(f"{column} LIKE {literal(like_pattern(value))} ESCAPE '\\'")
        else:
            parts.append(f"{column} = {literal(value.replace(chr(92) + '*', '*'))}")
    return " OR ".join(parts)


def tag_column(key: str, dialect: Dialect) -> str:
    if dialect is Dialect.ATHENA:
        return f"element_at(tags, {literal(key)})"
    return f"tags[{literal(key)}]"


def _condition(column: str, term: Term) -> str:
    """A term's condition on ``column``: a missing value reads as ``''`` so a negation holds for
    events without the tag, as Sentry's ``!key:value`` does."""
    values = term.values
    if term.operator != "=":  # operators are no part of a tag search: Sentry reads them as text
        values = (term.operator + values[0],)
    matched = value_match(f"coalesce({column}, '')", values)
    return f"NOT ({matched})" if term.negated else matched


def present(column: str, negated: bool) -> str:
    condition = f"coalesce({column}, '') <> ''"
    return f"NOT ({condition})" if negated else condition


def text_condition(text: str, negated: bool) -> str:
    """Free text: a part of the event's title or message, ignoring case."""
    haystack = "lower(coalesce(title, '') || ' ' || coalesce(message, ''))"
    condition = f"strpos({haystack}, {literal(text.lower())}) > 0"
    return f"NOT ({condition})" if negated else condition


def term_condition(key: str, term: Term, dialect: Dialect) -> str:
    """The condition of a tag or user term (``key`` already resolved from Sentry's aliases)."""
    if key in USER_COLUMNS:
        return _condition(f'"user".{USER_COLUMNS[key]}', term)
    return _condition(tag_column(key, dialect), term)


def has_condition(name: str, negated: bool, dialect: Dialect) -> str:
    if name in USER_COLUMNS:
        return present(f'"user".{USER_COLUMNS[name]}', negated)
    return present(tag_column(name, dialect), negated)


_HAS_NAME = re.compile(r"^[a-zA-Z0-9_.:-]+$")
HAS_REFUSED = 'Invalid format for "has" search: was expecting a field or tag instead'


def has_name(value: str) -> str:
    """The field or tag ``has:`` names; 400 with Sentry's message for anything else."""
    if not _HAS_NAME.match(value):
        raise InvalidSearchQuery(HAS_REFUSED)
    return value


# Keys of an event query that read the event's text rather than a tag.
_TEXT_KEYS = {"message", "title"}


def event_filter(query: str) -> EventFilter:
    """An event list's ``query`` (Sentry's event search): free text and ``message:`` match the
    title or message, ``has:`` a tag or user field, ``user.*`` the user, any other key a tag; 400
    with Sentry's message for a query that does not parse."""
    conditions = []
    for term in parse(query):
        if term.key is None or term.key in _TEXT_KEYS:
            condition = Condition("text", "", term)
        elif term.key == "has":
            condition = Condition("has", has_name(term.values[0]), term)
        else:
            condition = Condition("term", term.key, term)
        condition.sql(Dialect.DUCKDB)  # refuses a value no SQL literal holds
        conditions.append(condition)
    return EventFilter(tuple(conditions))
