"""Without a configured public URL, a deployment's URLs are built on the API Gateway URL it is served at."""

from __future__ import annotations

import pytest

from shared.public_url import base_url_of


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "stage": "v1"},
         "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"),
        ({"domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "stage": "$default"},
         "https://abc123.execute-api.eu-west-1.amazonaws.com"),
        ({"stage": "v1"}, ""),
    ],
)  # fmt: skip
def test_the_stage_is_part_of_the_url_unless_it_is_the_default(context: dict, expected: str) -> None:
    event = {"requestContext": context, "headers": {"Host": "attacker.example"}}
    assert base_url_of(event) == expected


def test_an_event_without_request_context_names_no_url() -> None:
    assert base_url_of({"headers": {"Host": "attacker.example"}}) == ""
