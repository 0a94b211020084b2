"""The real sentry-cli ``issues`` commands (list, resolve, resolve -n, mute, unresolve), end to end."""

from __future__ import annotations

from shared.accounts.organizations import find_organization
from shared.issues.enums import GroupResolutionType, GroupStatus
from shared.issues.groups import create_group, get_group
from shared.storage.accounts import Project
from shared.storage.issues import Group, GroupResolution, IssueItem, group_pk
from tests.clients.test_sentry_cli_info import sentry_cli
from tests.conftest import World, unique


def cli(base_url: str, world: World, *args: str):
    return sentry_cli(base_url, world.token, world.org, *args, env={"SENTRY_PROJECT": world.project})


def _groups(world: World, count: int) -> list[Group]:
    org = find_organization(world.org)
    project = Project.get(*Project.key(org.id, world.project))
    return [create_group(project, f"Error {i}") for i in range(count)]


def _status(group: Group) -> int:
    fresh = get_group(group.id)
    assert fresh is not None
    return fresh.status


def test_resolve_mute_unresolve_by_id_status_and_all(base_url, world: World) -> None:
    first, second, third = _groups(world, 3)
    result = cli(base_url, world, "issues", "resolve", "--id", str(first.id), "--id", str(second.id))
    assert result.returncode == 0, result.stderr
    assert "Updated matching issues." in result.stdout and "resolved" in result.stdout
    assert (_status(first), _status(second), _status(third)) == (1, 1, 0)

    muted = cli(base_url, world, "issues", "mute", "--status", "unresolved")
    assert muted.returncode == 0, muted.stderr
    assert (_status(first), _status(third)) == (GroupStatus.RESOLVED, GroupStatus.IGNORED)

    unresolved = cli(base_url, world, "issues", "unresolve", "--status", "muted")
    assert unresolved.returncode == 0, unresolved.stderr
    assert _status(third) == GroupStatus.UNRESOLVED

    everything = cli(base_url, world, "issues", "mute", "--all")
    assert everything.returncode == 0, everything.stderr
    assert _status(third) == GroupStatus.IGNORED and _status(first) == GroupStatus.RESOLVED  # default query

    nothing = cli(base_url, world, "issues", "resolve", "--id", "987654321")
    assert nothing.returncode == 0, nothing.stderr  # 204: nothing matched, nothing changed
    assert _status(third) == GroupStatus.IGNORED


def test_resolve_in_next_release(base_url, world: World) -> None:
    (group,) = _groups(world, 1)
    assert cli(base_url, world, "releases", "new", unique("app") + "@2.0.0").returncode == 0
    result = cli(base_url, world, "issues", "resolve", "-n", "--id", str(group.id))
    assert result.returncode == 0, result.stderr
    assert "resolvedInNextRelease" in result.stdout
    assert _status(group) == GroupStatus.RESOLVED
    (resolution,) = [
        r for r in IssueItem.query(group_pk(group.id), consistent_read=True) if isinstance(r, GroupResolution)
    ]
    assert resolution.type == GroupResolutionType.IN_NEXT_RELEASE


def test_resolve_in_next_release_without_releases_waits_for_the_first(base_url, world: World) -> None:
    """Sentry answers 200 on a project with no release yet: the issue is resolved and its resolution
    waits for the project's first release."""
    (group,) = _groups(world, 1)
    result = cli(base_url, world, "issues", "resolve", "-n", "--id", str(group.id))
    assert result.returncode == 0, result.stderr
    assert "new status: resolvedInNextRelease" in result.stdout
    assert _status(group) == GroupStatus.RESOLVED


def test_issues_list(base_url, world: World) -> None:
    _groups(world, 1)
    result = cli(base_url, world, "issues", "list")
    assert result.returncode == 0, result.stderr
    assert "Error 0" in result.stdout and f"{world.project.upper()}-1" in result.stdout
