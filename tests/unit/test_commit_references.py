"""Commit-message references, with the forms Sentry's receivers recognise."""

from shared.releases.references import is_skipped, referenced_short_ids


def test_fixes_forms() -> None:
    assert referenced_short_ids("Fixes WEB-12") == ["WEB-12"]
    assert referenced_short_ids("closes web-12, WEB-13 and stuff") == ["WEB-12", "WEB-13"]
    assert referenced_short_ids("Resolved: MY-APP-7\n\nmore") == ["MY-APP-7"]
    assert referenced_short_ids("fix [WEB-3](https://example.com/issues/3)") == ["WEB-3"]


def test_no_reference() -> None:
    assert referenced_short_ids("Refactor WEB-12 handling") == []
    assert referenced_short_ids(None) == []
    assert referenced_short_ids("Fixes the bug") == []


def test_skip_marker() -> None:
    assert is_skipped("wip #skipsentry")
    assert not is_skipped("normal commit")
