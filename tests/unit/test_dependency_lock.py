"""The locks stay in step with pyproject.toml: the one the Lambda layer is installed from, and the one
``make install`` installs the development environment from (so every machine runs what CI tested)."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from infra.package import (
    DEV_LOCK,
    LOCK,
    development_requirements,
    normalize,
    project_dependencies,
    read_lock,
)


def test_lock_was_made_from_the_current_dependencies() -> None:
    sources, _ = read_lock()
    assert sources == project_dependencies(), "pyproject.toml changed: run `make lock`"


@pytest.mark.parametrize(
    ("lock", "requirements"), [(LOCK, project_dependencies), (DEV_LOCK, development_requirements)]
)
def test_every_requirement_is_pinned_within_its_range(
    lock: Path, requirements: Callable[[], list[str]]
) -> None:
    _, pins = read_lock(path=lock)
    for text in requirements():
        requirement = Requirement(text)
        name = normalize(requirement.name)
        assert name in pins, f"{name} is not in {lock.name}: run `make lock`"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} outside {requirement}"


def test_every_pin_carries_a_hash() -> None:
    lines = [line for line in LOCK.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    pinned = [line for line in lines if "==" in line]
    hashes = [line for line in lines if "--hash=sha256:" in line]
    assert pinned
    assert len(hashes) == len(pinned)


def test_read_lock_sees_a_stale_lock() -> None:
    sources, pins = read_lock("# from: semver>=3,<4\nSemVer==2.13.0 \\\n    --hash=sha256:00\n")
    assert sources == ["semver>=3,<4"]
    assert not Requirement(sources[0]).specifier.contains(pins["semver"])


def test_development_lock_was_made_from_the_current_requirements() -> None:
    sources, _ = read_lock(path=DEV_LOCK)
    assert sources == development_requirements(), "pyproject.toml changed: run `make lock`"
    names = {normalize(Requirement(text).name) for text in sources}
    assert {"pip", "setuptools", "pytest", "schemathesis", "selenium", "boto3"} <= names


def test_development_lock_holds_the_functions_dependencies_at_their_runtime_versions() -> None:
    """Tests run the versions the Lambda layer ships, not whatever the development resolve chose."""
    _, runtime = read_lock()
    _, development = read_lock(path=DEV_LOCK)
    assert runtime
    assert {name: development.get(name) for name in runtime} == runtime


def test_this_environment_is_the_development_lock() -> None:
    """``make install`` installed the lock, every pin at its version and nothing beside it but
    this project (a package installed by hand, or an install step skipped, shows here)."""
    _, pins = read_lock(path=DEV_LOCK)
    installed = {normalize(dist.metadata["Name"]): dist.version for dist in distributions()}
    installed.pop("watchtower")
    extra = {name: version for name, version in installed.items() if name not in pins}
    assert not extra, f"installed beside the lock: {extra} (`make clean install` starts afresh)"
    assert installed == pins, "run `make install`"
