"""The lock the Lambda layer is installed from stays in step with pyproject.toml."""

from __future__ import annotations

from packaging.requirements import Requirement

from infra.package import LOCK, normalize, project_dependencies, read_lock


def test_lock_was_made_from_the_current_dependencies() -> None:
    sources, _ = read_lock()
    assert sources == project_dependencies(), "pyproject.toml changed: run `make lock`"


def test_every_dependency_is_pinned_within_its_range() -> None:
    _, pins = read_lock()
    for text in project_dependencies():
        requirement = Requirement(text)
        name = normalize(requirement.name)
        assert name in pins, f"{name} is not in infra/requirements.lock: run `make lock`"
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
