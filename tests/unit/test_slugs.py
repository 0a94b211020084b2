"""Sentry's slug rules: Django's slugify, reserved words, suffixed candidates."""

from shared.slugs import RESERVED_PROJECT_SLUGS, SLUG_PATTERN, base_slug, slug_candidates, slugify


def test_slugify_like_django() -> None:
    assert slugify("My Service!") == "my-service"
    assert slugify("  Ünïcödé -- name_x ") == "unicode-name_x"
    assert slugify("!!!") == ""


def test_base_slug_caps_length_and_avoids_reserved_and_empty() -> None:
    assert base_slug("a" * 80, 50) == "a" * 50
    reserved = base_slug("Settings", 50, RESERVED_PROJECT_SLUGS)
    assert reserved != "settings" and len(reserved) == 12
    assert len(base_slug("???", 50)) == 12
    assert base_slug("12345", 50) != "12345"  # an all-digit slug would read as an id


def test_candidates_follow_sentrys_plan_and_fit() -> None:
    candidates = list(slug_candidates("x" * 50, 50))
    assert candidates[0] == "x" * 50
    assert len(candidates) == 1 + 2 + 5 + 20 + 1
    suffix_lengths = [len(c.rsplit("-", 1)[1]) for c in candidates[1:]]
    assert suffix_lengths == [2] * 2 + [3] * 5 + [5] * 20 + [12]
    assert all(len(c) <= 50 and SLUG_PATTERN.match(c) for c in candidates)
