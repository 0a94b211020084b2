"""A release deleted between a writer's read and its writes stays deleted: setting or clearing its
commits answers 404, and no partial item is written back (an UpdateItem creates what it misses)."""

from __future__ import annotations

import pytest
import requests

from shared.accounts.organizations import find_organization
from shared.errors import NotFound
from shared.releases.commits import CommitInput, clear_commits, set_commits
from shared.releases.service import find_release
from shared.storage.releases import Release
from tests.conftest import World, unique


def _read_then_delete(base_url: str, world: World) -> Release:
    """A release as a writer read it, deleted through the API right after."""
    version = unique("gone")
    url = f"{base_url}/api/0/organizations/{world.org}/releases/"
    created = requests.post(
        url, json={"version": version, "projects": [world.project]}, headers=world.headers()
    )
    assert created.status_code == 201, created.text
    org = find_organization(world.org)
    assert org is not None
    release = find_release(org.id, version, consistent=True)
    assert release is not None
    deleted = requests.delete(f"{url}{version}/", headers=world.headers())
    assert deleted.status_code == 204, deleted.text
    return release


@pytest.mark.parametrize(
    "write",
    [
        lambda release: set_commits(release, [CommitInput(id="a" * 40, repository="org/repo")]),
        clear_commits,
    ],
    ids=["set_commits", "clear_commits"],
)
def test_commits_of_a_release_deleted_meanwhile_are_404(base_url: str, world: World, write) -> None:
    release = _read_then_delete(base_url, world)
    with pytest.raises(NotFound):
        write(release)
    assert find_release(release.org_id, release.version, consistent=True) is None
