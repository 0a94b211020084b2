"""Sentry's parameterization of messages for grouping: the variable parts of a message (emails,
URLs, host names, IP addresses, trace ids, UUIDs, hashes, dates and times, durations, hex values,
numbers, quoted and boolean values after ``=``) become placeholders such as ``<int>``, so "Order
12345 failed" and "Order 67890 failed" hash alike.

The kinds are tried in Sentry's order as one alternation: at each position the first kind that
matches wins, and scanning resumes after the match (a URL is one ``<url>``, not a host name and
numbers). A message is first cut to its first two non-empty lines (``...`` marks the cut), as
Sentry's message strategy does; an exception's value is parameterized whole."""

from __future__ import annotations

import re
from itertools import islice

_TLDS = (  # the 100 most used top-level domains, as Sentry's list
    "com|net|org|jp|de|uk|fr|br|it|ru|es|me|gov|pl|ca|au|cn|co|in|nl|edu|info|eu|ch|id|at|kr|cz|mx|"
    "be|tv|se|tr|tw|al|ua|ir|vn|cl|sk|ly|cc|to|no|fi|us|pt|dk|ar|hu|tk|gr|il|news|ro|my|biz|ie|za|"
    "nz|sg|ee|th|io|xyz|pe|bg|hk|rs|lt|link|ph|club|si|site|mobi|by|cat|wiki|la|ga|xxx|cf|hr|ng|"
    "jobs|online|kz|ug|gq|ae|is|lv|pro|fm|tips|ms|sa|app"
)
_MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DAY = "(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat)"
_LONG_DAY = "(?:Sun|Mon|Tues|Wednes|Thurs|Fri|Satur)day"
_ZONE = r"(?:[-+]\d{2}[0-5]\d|UT|GMT|[ECMP][SD]T|[A-IK-Z])"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H = "[0-9a-fA-F]{1,4}"


def _ipv6() -> str:
    """Every IPv6 form: eight groups, or fewer around one ``::`` (a v4 address may end it)."""
    # the forms ending in a v4 address first, so its dotted part is not left behind
    forms = [
        rf"::(?:ffff(?::0{{1,4}})?:)?{_IPV4}",
        rf"(?:{_H}:){{1,4}}:{_IPV4}",
        rf"(?:{_H}:){{7}}{_H}",
    ]
    for head in range(1, 8):  # ``h:…:h::`` and ``h:…::h:…`` with at most seven groups in all
        tail = 7 - head
        forms.append(rf"(?:{_H}:){{{head}}}(?::{_H}){{1,{tail}}}" if tail else rf"(?:{_H}:){{7}}:")
    forms += [
        rf"(?:{_H}:){{1,7}}:",
        rf":(?:(?::{_H}){{1,7}}|:)",
        r"fe80:(?::[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]+",
    ]
    # Not inside a word, and not ``Type::method`` (a word right after the address).
    return rf"(?<![0-9a-zA-Z_])(?:{'|'.join(forms)})(?:/\d{{1,3}})?(?![0-9a-zA-Z])"


_DATES = [
    rf"{_DAY},\s\d{{1,2}}\s{_MONTH}\s\d{{2,4}}\s\d{{1,2}}:\d{{1,2}}(?::\d{{1,2}})?\s{_ZONE}",  # RFC 822/1123
    rf"(?:{_DAY}\s)?{_MONTH}\s[0-3]\d,\s\d{{2,4}}",  # Jan 02, 1999
    rf"(?:{_LONG_DAY}|{_DAY}),\s\d{{2}}-{_MONTH}-\d{{2}}\s\d{{2}}:\d{{2}}:\d{{2}}\s{_ZONE}",  # RFC 850
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?(?:[+-]?\d{2}:\d{2})?",  # RFC 3339
    rf"{_DAY}\s{_MONTH}\s\d{{2}}\s\d{{4}}\s\d{{2}}:\d{{2}}:\d{{2}}\sGMT[+-]\d{{4}}(?:\s\([^)]+\))?",  # JS
    # date and time, compact or not, with or without fraction and offset
    r"\d{4}-?[01]\d-?[0-3]\d[\sT][0-2]\d:?[0-5]\d(?::?[0-5]\d(?:\.\d+)?)?(?:[+-][0-2]\d:?[0-5]\d|Z)?",
    r"(?<!\d)(?:[1-9]|1[0-2]):[0-5]\d(?::[0-5]\d)?(?![\d:])(?:\s?[aApP][mM])?",  # 12-hour clock
    r"(?<!\d)(?:0?\d|1\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?![\d:])",  # 24-hour clock
    r"\d{4}-[01]\d-[0-3]\d",
    r"[0-2]\d:[0-5]\d:[0-5]\d",
    rf"\b(?:{_DAY}\s+)?{_MONTH}\s+\d{{1,2}}\s+\d{{2}}:\d{{2}}:\d{{2}}\s+\d{{4}}",
    rf"\b(?:{_DAY},\s+)?(?:0[1-9]|[12]?\d|3[01])\s+{_MONTH}\s+(?:19\d{{2}}|[2-9]\d{{3}})\s+"
    rf"(?:2[0-3]|[01]\d):[0-5]\d(?::(?:60|[0-5]\d))?\s+{_ZONE}",
    r"datetime\.datetime\(.*?\)",
]

# (kind, pattern), in the order Sentry tries them.
_KINDS: list[tuple[str, str]] = [
    ("email", r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*"),
    ("url", r"\b(?:wss?|https?|ftp)://[^\s/$.?#].\S*"),
    (
        "hostname",
        rf"\b(?:[a-zA-Z0-9-]{{1,63}}\.)+?(?:{_TLDS}|{_TLDS.upper()})\b",
    ),
    ("ip", rf"{_ipv6()}|\b{_IPV4}\b"),
    ("traceparent", r"\b00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]\b|\b1-[0-9a-f]{8}-[0-9a-f]{24}\b"),
    ("uuid", r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b"),
    ("sha1", r"\b[0-9a-fA-F]{40}\b"),
    ("md5", r"\b[0-9a-fA-F]{32}\b"),
    ("date", "|".join(_DATES)),
    ("duration", r"\b\d+ms|\d+(?:\.\d+)?s\b"),
    ("swift_txn_id", r"\btx[0-9a-f]{21}-[0-9a-f]{10}\S*"),
    # seven lowercase hex digits with at least one letter and one digit: a short git commit
    ("git_sha", r"\b(?=[a-f]*\d)(?=\d*[a-f])[0-9a-f]{7}\b"),
    (
        "hex",
        # ``0x…``; or one case of hex digits: 8 to 128 of them, or 4 and more mixing letters and digits
        r"\b0[xX][0-9a-fA-F]+\b"
        r"|(?:(?<!\w)-)?\b(?:[0-9a-f]{8,128}|[0-9A-F]{8,128})\b"
        r"|\b(?=[a-f]*\d)(?=\d*[a-f])[0-9a-f]{4,128}\b|\b(?=[A-F]*\d)(?=\d*[A-F])[0-9A-F]{4,128}\b",
    ),
    ("float", r"-\d+\.\d+\b|\b\d+\.\d+\b"),
    ("int", r"(?:\b|(?<!\w)-)\d{1,7}\b"),  # a minus only when it joins no word to the number
    ("quoted_str", r"(?<==)(?:'[^']+'|\"[^\"]+\")"),
    ("bool", r"(?<==)(?:[Tt]rue|[Ff]alse)"),
]
_PATTERN = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _KINDS))


def parameterize(text: str) -> str:
    """``text`` with each variable part replaced by ``<kind>``."""
    return _PATTERN.sub(lambda match: f"<{match.lastgroup}>", text)


def message_for_grouping(message: str) -> str:
    """What a message contributes to grouping: its first two non-empty lines (``...`` when more was
    cut), parameterized."""
    trimmed = "\n".join(islice((line for line in message.splitlines() if line.strip()), 2))
    if trimmed != message:
        trimmed += "..."
    return parameterize(trimmed)
