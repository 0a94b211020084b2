"""Validation errors in Sentry's shape, and path decoding."""

from shared.http.errors import field_errors
from shared.http.handler import decode_path


def test_nested_errors_drop_list_positions() -> None:
    errors = [
        {"loc": ("body", "commits", 0, "id"), "type": "missing", "msg": "Field required"},
        {"loc": ("body", "name"), "type": "string_too_long", "msg": "x", "ctx": {"max_length": 50}},
        {"loc": ("body", "slug"), "type": "value_error", "msg": "Value error, Bad slug"},
    ]
    assert field_errors(errors) == {
        "commits": {"id": ["This field is required."]},
        "name": ["Ensure this field has no more than 50 characters."],
        "slug": ["Bad slug"],
    }


def test_path_segments_are_decoded_once_and_plus_stays() -> None:
    assert decode_path("/api/0/releases/app@1.0.0%2Bbuild.7/") == "/api/0/releases/app@1.0.0+build.7/"
    assert decode_path("/a/b+c/%2525") == "/a/b+c/%25"
    # An encoded slash never becomes a path separator.
    assert decode_path("/releases/a%2Fb/commits") == "/releases/a%2Fb/commits"
