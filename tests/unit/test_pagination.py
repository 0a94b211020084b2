"""Cursors, ``per_page`` and Sentry's ``Link`` header (no DynamoDB request is made by these checks)."""

from __future__ import annotations

import base64
import json

import pytest

from shared.errors import BadRequest
from shared.http.pagination import link_header, parse_per_page
from shared.storage.paging import Page, encode_cursor, query_page
from shared.storage.releases import Release, Repository

URL = "https://sentry.example.com/api/0/organizations/acme/repos/"
KEY = {"pk": {"S": "ORG#1"}, "sk": {"S": "REPO#acme/api"}}


def _b64(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_per_page_defaults_and_limits() -> None:
    assert parse_per_page(None) == 100
    assert parse_per_page("1") == 1 and parse_per_page("100") == 100
    for value in ("0", "-3", "101"):
        with pytest.raises(BadRequest) as error:
            parse_per_page(value)
        assert error.value.body() == {"detail": "Invalid per_page value. Must be between 1 and 100."}
    for value in ("", "ten", "2.5"):
        with pytest.raises(BadRequest) as error:
            parse_per_page(value)
        assert error.value.body() == {"detail": "Invalid per_page parameter."}


def test_cursor_is_url_safe_opaque_text() -> None:
    cursor = encode_cursor({"pk": {"S": "ORG#1"}, "sk": {"S": "REPO#a/b?c=d&e>f"}}, before=True)
    assert cursor.isascii() and not set(cursor) & set('=+/&?<>" ')
    assert encode_cursor(KEY) != encode_cursor(KEY, before=True)


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        "%%%",
        _b64("just text")[:-1] + "*",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        _b64(["after", KEY]),
        _b64({"after": KEY, "before": KEY}),
        _b64({"sideways": KEY}),
        _b64({"after": {}}),
        _b64({"after": {"pk": "ORG#1", "sk": "REPO#a"}}),
        _b64({"after": {"pk": {"S": 1}, "sk": {"S": "REPO#a"}}}),
        _b64({"after": {"pk": {"SS": ["ORG#1"]}, "sk": {"S": "REPO#a"}}}),
        _b64({"after": {"pk": {"S": "ORG#1"}}}),  # a key without its sort key
        _b64({"after": {**KEY, "extra": {"S": "x"}}}),
        encode_cursor({"pk": {"S": "ORG#2"}, "sk": {"S": "REPO#a"}}),  # another organization's partition
        encode_cursor(KEY) + "A" * 3000,
    ],
)
def test_invalid_cursors_are_refused_before_any_query(cursor: str) -> None:
    with pytest.raises(BadRequest) as error:
        query_page(Repository, "ORG#1", cursor=cursor, per_page=10)
    assert error.value.status_code == 400
    assert error.value.body() == {"detail": "Invalid cursor parameter."}


def test_index_cursors_need_the_table_and_index_keys_of_the_partition_queried() -> None:
    table_key_only = encode_cursor({"pk": {"S": "RELEASE#1#v1"}, "sk": {"S": "RELEASE"}})
    other_partition = encode_cursor(
        {"pk": {"S": "RELEASE#2#v1"}, "sk": {"S": "RELEASE"}, "gsi1pk": {"S": "ORG#2"}, "gsi1sk": {"S": "x"}}
    )
    for cursor in (table_key_only, other_partition):
        with pytest.raises(BadRequest):
            query_page(Release, "ORG#1", cursor=cursor, per_page=10, index=Release.by_date)


def test_link_header_on_the_first_page() -> None:
    header = link_header(URL, {"cursor": "", "per_page": "2"}, Page(["a", "b"], next_cursor="N1"))
    assert header == (
        f'<{URL}?per_page=2&cursor=>; rel="previous"; results="false"; cursor="", '
        f'<{URL}?per_page=2&cursor=N1>; rel="next"; results="true"; cursor="N1"'
    )


def test_link_header_without_other_parameters_keeps_sentrys_question_mark() -> None:
    header = link_header(URL, {}, Page(["a"], next_cursor="N1", prev_cursor="P1"))
    assert header == (
        f'<{URL}?&cursor=P1>; rel="previous"; results="true"; cursor="P1", '
        f'<{URL}?&cursor=N1>; rel="next"; results="true"; cursor="N1"'
    )


def test_link_header_on_the_last_page_and_repeated_parameters() -> None:
    params = {"cursor": ["C"], "expand": ["settings", "owners"], "query": ["a b&c"]}
    header = link_header(URL, params, Page(["z"], prev_cursor="P9"))
    base = f"{URL}?expand=settings&expand=owners&query=a+b%26c"
    assert header == (
        f'<{base}&cursor=P9>; rel="previous"; results="true"; cursor="P9", '
        f'<{base}&cursor=>; rel="next"; results="false"; cursor=""'
    )
