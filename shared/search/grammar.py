"""Sentry's search syntax (``event_search.py``) as the issue search accepts it: space-separated
terms, each a filter ``key:value`` or free text.

A filter may be negated (``!key:value``), compare (``key:>=5``, ``key:<2024-01-01``), hold a quoted
value (``key:"a b"``, ``\\"`` inside), a list (``key:[a, b]``) or wildcards (``key:*foo*``); a key may
be quoted (``"key":value``) or explicit (``tags[key]:value``). ``AND``/``OR`` are refused as the
issue search refuses them; parentheses are free text. Errors carry Sentry's messages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.errors import BadRequest

KEY = r"(?:[a-zA-Z0-9_.-]+|\"[a-zA-Z0-9_.:-]+\"|tags\[[a-zA-Z0-9_.:-]+\])"
_FILTER = re.compile(rf"(?P<negation>!)?(?P<key>{KEY}):")
_OPERATOR = re.compile(r"(>=|<=|!=|>|<|=)")
_QUOTED = re.compile(r'"((?:\\"|[^"])*)"')
_BOOLEAN = re.compile(r"(?i:OR|AND)(?=[\s)]|$)")
MAX_QUERY_LENGTH = 2000
BOOLEAN_REFUSED = 'Boolean statements containing "OR" or "AND" are not supported in this search'


class InvalidSearchQuery(BadRequest):
    """A query Sentry refuses: 400 ``{"detail": message}``."""


@dataclass(frozen=True)
class Term:
    """One term: ``key`` None for free text. ``values`` holds one value, or the items of a list;
    ``operator`` is ``=``, ``!=``, ``>``, ``>=``, ``<`` or ``<=`` as written (negation separate)."""

    key: str | None
    values: tuple[str, ...]
    operator: str = "="
    negated: bool = False
    is_list: bool = False
    quoted: bool = False


def _unquote(text: str) -> str:
    return text.replace('\\"', '"')


def _plain_value(query: str, start: int) -> tuple[str, int]:
    end = start
    while end < len(query) and not query[end].isspace():
        end += 1
    value = query[start:end]
    index = value.find('"')
    while index != -1:
        if index == 0 or value[index - 1] != "\\":
            raise InvalidSearchQuery(f"Invalid quote at '{value}': quotes must enclose text or be escaped.")
        index = value.find('"', index + 1)
    return _unquote(value), end


def _list_value(query: str, start: int) -> tuple[tuple[str, ...], int]:
    """``[a, "b c", d]`` starting at ``start`` (the ``[``); the items and where the list ends."""
    items: list[str] = []
    position = start + 1
    while True:
        while position < len(query) and query[position] == " ":
            position += 1
        quoted = _QUOTED.match(query, position)
        if quoted:
            items.append(_unquote(quoted.group(1)))
            position = quoted.end()
        else:
            end = position
            while end < len(query) and query[end] not in ",] ":
                end += 1
            if end == position:
                raise InvalidSearchQuery("Lists should not have empty values")
            items.append(query[position:end])
            position = end
        while position < len(query) and query[position] == " ":
            position += 1
        if position >= len(query):
            raise _parse_error(query, start)
        if query[position] == "]":
            return tuple(items), position + 1
        if query[position] != ",":
            raise _parse_error(query, position)
        position += 1


def _parse_error(query: str, column: int) -> InvalidSearchQuery:
    context = query[max(0, column - 5) : column + 5]
    return InvalidSearchQuery(
        f"Parse error at '{context}' (column {column:d}). "
        "This is commonly caused by unmatched parentheses. Enclose any text in double quotes."
    )


def _key_name(raw: str) -> str:
    if raw.startswith('"'):
        return raw[1:-1]
    if raw.startswith("tags["):
        return raw[5:-1]
    return raw


def _paren_text(query: str, start: int) -> int:
    depth, position = 0, start
    while position < len(query):
        if query[position] == "(":
            depth += 1
        elif query[position] == ")":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    raise _parse_error(query, start)


def parse(query: str) -> list[Term]:
    """The terms of ``query``; ``InvalidSearchQuery`` with Sentry's message when it is not one."""
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidSearchQuery(f"Query is too long: at most {MAX_QUERY_LENGTH} characters")
    terms: list[Term] = []
    position = 0
    while position < len(query):
        if query[position].isspace():
            position += 1
            continue
        if _BOOLEAN.match(query, position):
            raise InvalidSearchQuery(BOOLEAN_REFUSED)
        if query[position] == "(":
            end = _paren_text(query, position)
            terms.append(Term(None, (query[position:end],)))
            position = end
            continue
        if query[position] == '"':
            quoted = _QUOTED.match(query, position)
            if quoted is None:
                raise _parse_error(query, position)
            terms.append(Term(None, (_unquote(quoted.group(1)),), quoted=True))
            position = quoted.end()
            continue
        found = _FILTER.match(query, position)
        if found is None:
            value, position = _plain_value(query, position)
            previous = terms[-1] if terms else None
            if previous is not None and previous.key is None and not previous.quoted:
                # consecutive words are one text, as Sentry's ``free_text_unquoted`` reads them
                terms[-1] = Term(None, (f"{previous.values[0]} {value}",))
            else:
                terms.append(Term(None, (value,)))
            continue
        term, position = _filter(query, found)
        terms.append(term)
    return terms


def _filter(query: str, found: re.Match[str]) -> tuple[Term, int]:
    key = _key_name(found.group("key"))
    negated = found.group("negation") is not None
    position = found.end()
    operator = "="
    op = _OPERATOR.match(query, position)
    if op is not None:
        operator, position = op.group(1), op.end()
    if position < len(query) and query[position] == "[" and operator == "=":
        values, end = _list_value(query, position)
        return Term(key, values, "=", negated, is_list=True), end
    if position < len(query) and query[position] == '"':
        quoted = _QUOTED.match(query, position)
        if quoted is None:
            raise _parse_error(query, position)
        return Term(key, (_unquote(quoted.group(1)),), operator, negated, quoted=True), quoted.end()
    value, end = _plain_value(query, position)
    if not value and operator == "=":
        raise InvalidSearchQuery(f"Empty string after '{key}:'")
    if operator == "!=":
        operator, negated = "=", not negated
    return Term(key, (value,), operator, negated), end
