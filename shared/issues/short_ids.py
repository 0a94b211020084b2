"""Qualified short ids ("WEB-1A"): the project slug upper-cased, a dash, the per-project number in
Sentry's base32 (Crockford's alphabet), so ids typed from Sentry's UI or API mean the same here."""

from __future__ import annotations

import re

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DIGITS = {symbol: value for value, symbol in enumerate(_ALPHABET)}
# Sentry's pattern: the slug, then the last space, underscore or dash, then the number.
_QUALIFIED = re.compile(r"^(.*?)[\s_-]([A-Za-z0-9]+)$")
_MAX_SHORT_ID = 2**63 - 1  # Sentry's column bound; anything larger cannot name a group


def _base32_encode(number: int) -> str:
    symbols = []
    while True:
        number, digit = divmod(number, len(_ALPHABET))
        symbols.append(_ALPHABET[digit])
        if number == 0:
            return "".join(reversed(symbols))


def _base32_decode(text: str) -> int | None:
    """Sentry reads O as 0 and I, L as 1 (people copy ids by eye); any other stray symbol is invalid."""
    value = 0
    for symbol in text.upper().replace("O", "0").replace("I", "1").replace("L", "1"):
        digit = _DIGITS.get(symbol)
        if digit is None:
            return None
        value = value * len(_ALPHABET) + digit
    return value


def format_short_id(project_slug: str, short_id: int) -> str:
    return f"{project_slug.upper()}-{_base32_encode(int(short_id))}"


def parse_short_id(text: str) -> tuple[str, int] | None:
    """``(lower-case project slug, number)`` of a qualified short id, or None when it cannot be one."""
    match = _QUALIFIED.match(text.strip())
    if match is None or not match.group(1):
        return None
    number = _base32_decode(match.group(2))
    if number is None or number > _MAX_SHORT_ID:
        return None
    return match.group(1).lower(), number
