"""Semantic versions of release names, ordered as Sentry orders semver releases."""

from __future__ import annotations

from shared.releases.ordering import semver_key


def test_versions_with_and_without_a_package_parse() -> None:
    assert semver_key("app@1.2.3") is not None
    assert semver_key("1.2") is not None
    assert semver_key("web@2") is not None
    for text in ("a1", "app@latest", "deadbeef", "app@1.2.3.4.5"):
        assert semver_key(text) is None, text


def test_order_by_version_then_prerelease_then_build() -> None:
    ordered = ["app@1.2.0", "app@1.9.0", "app@1.10.0-rc.1", "app@1.10.0", "app@1.10.0+2", "app@1.10.0+3"]
    keys = [semver_key(v) for v in ordered]
    assert all(k is not None for k in keys)
    assert sorted(keys) == keys
    assert semver_key("x@1.10.0") == semver_key("y@1.10.0")
