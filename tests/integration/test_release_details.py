"""``GET /organizations/{org}/releases/{version}/``: Sentry's query parameters, ``currentProjectMeta``
(its acceptance cases, test_organization_release_details.py), owner and first/last event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from local.metering import count_requests
from shared.accounts.organizations import find_organization
from shared.serializers.dates import format_datetime
from shared.storage.releases import Release
from tests.conftest import World, events_processed, unique
from tests.integration.test_ingest_api import _auth, _event, _public_key, project_dsn
from tests.integration.test_releases_api import Api


@pytest.fixture
def api(http, base_url, world) -> Api:
    return Api(http, base_url, world)


def _details(api: Api, version: str, **params: str | list[str]) -> requests.Response:
    return api.http.get(api.release_url(version), params=params, headers=api.world.headers())


def _meta(api: Api, version: str, **params: str | list[str]) -> dict:
    response = _details(api, version, **params)
    assert response.status_code == 200, response.text
    return response.json()["currentProjectMeta"]


def _set_date(api: Api, version: str, when: datetime) -> None:
    org_id = find_organization(api.world.org).id
    release = Release.get(*Release.key(org_id, version))
    release.update(actions=[Release.date_added.set(when)])


def _three(api: Api, prefix: str = "") -> list[str]:
    versions = [f"{prefix}{unique('r')}@{n}.0.0" for n in (1, 2, 3)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n, version in enumerate(versions):
        api.create(version)
        _set_date(api, version, start + timedelta(days=n))
    return versions


def test_simple_read_shows_owner_and_no_project_meta(api: Api) -> None:
    version = unique("simple")
    api.create(version)
    body = _details(api, version).json()
    assert body["currentProjectMeta"] == {} and "adoptionStages" not in body
    assert body["owner"]["id"] == str(api.world.owner_id) and body["owner"]["email"].endswith("@example.com")
    assert body["firstEvent"] is None and body["lastEvent"] is None


def test_project_parameter(api: Api, http, base_url) -> None:
    version = unique("proj")
    api.create(version)
    project_id = api.get(version).json()["projects"][0]["id"]
    other = http.post(
        f"{base_url}/api/0/teams/{api.world.org}/{api.world.team}/projects/",
        json={"name": unique("other")},
        headers=api.world.headers(),
    ).json()
    wrong = _details(api, version, project=str(other["id"]))
    assert wrong.status_code == 404 and wrong.json() == {"detail": "The requested resource does not exist"}
    meta = _meta(api, version, project=str(project_id))
    assert set(meta) == {
        "sessionsLowerBound",
        "sessionsUpperBound",
        "prevReleaseVersion",
        "nextReleaseVersion",
        "firstReleaseVersion",
        "lastReleaseVersion",
    }
    assert meta["sessionsLowerBound"] is None and meta["sessionsUpperBound"] is None
    bad = _details(api, version, project="abc")
    assert bad.status_code == 400
    assert bad.json() == {"detail": "Invalid project parameter. Values must be numbers."}
    unknown = _details(api, version, project="999999999", health="1")
    assert unknown.status_code == 400 and unknown.json() == {"detail": "Invalid project"}


def test_invalid_parameters_are_400(api: Api) -> None:
    version = unique("params")
    api.create(version)
    project_id = str(api.get(version).json()["projects"][0]["id"])
    for params, detail in (
        ({"sort": "invalid_sort", "project": project_id}, "invalid sort"),
        ({"sort": "sessions", "project": project_id}, "invalid sort"),
        ({"status": "closed"}, "invalid value for status"),
        (
            {"summaryStatsPeriod": "5d"},
            "Invalid summaryStatsPeriod. Valid choices are '1h', '24h', '1d', '48h', '2d', '7d', '14d', "
            "'30d', '90d'",
        ),
        ({"healthStatsPeriod": "3h"}, None),
    ):
        response = _details(api, version, **params)
        assert response.status_code == 400, params
        if detail is not None:
            assert response.json() == {"detail": detail}
    assert _details(api, version, sort="sessions").status_code == 200  # sort only counts with a project
    assert _details(api, version, summaryStatsPeriod="24h", healthStatsPeriod="7d").status_code == 200


def test_prev_next_first_last_on_date_sort(api: Api) -> None:
    first, middle, last = _three(api)
    project_id = str(api.get(first).json()["projects"][0]["id"])
    meta = _meta(api, middle, project=project_id)
    assert meta["prevReleaseVersion"] == first and meta["nextReleaseVersion"] == last
    assert meta["firstReleaseVersion"] == first and meta["lastReleaseVersion"] == last
    assert _meta(api, last, project=project_id)["nextReleaseVersion"] is None
    assert _meta(api, first, project=project_id)["prevReleaseVersion"] is None
    # the stats period never narrows the neighbours
    assert _meta(api, middle, project=project_id, summaryStatsPeriod="24h")["prevReleaseVersion"] == first


def test_same_date_falls_back_to_id_order(api: Api) -> None:
    first, middle, last = _three(api)
    same = datetime(2026, 2, 1, tzinfo=UTC)
    for version in (first, middle, last):
        _set_date(api, version, same)
    project_id = str(api.get(first).json()["projects"][0]["id"])
    meta = _meta(api, middle, project=project_id)
    assert (meta["prevReleaseVersion"], meta["nextReleaseVersion"]) == (first, last)
    assert (meta["firstReleaseVersion"], meta["lastReleaseVersion"]) == (first, last)


def test_status_and_query_filters(api: Api) -> None:
    first, middle, last = _three(api, prefix="foobar")
    project_id = str(api.get(first).json()["projects"][0]["id"])
    archived = _meta(api, middle, project=project_id, status="archived")
    assert archived["prevReleaseVersion"] is None and archived["nextReleaseVersion"] is None
    api.put(last, {"status": "archived"})
    meta = _meta(api, middle, project=project_id)
    assert meta["nextReleaseVersion"] is None and meta["lastReleaseVersion"] == last  # first/last: no status
    assert _meta(api, middle, project=project_id, status="archived")["nextReleaseVersion"] == last
    queried = _meta(api, last, project=project_id, status="open", query=first.upper())
    assert queried["prevReleaseVersion"] == first


def test_environment_filter_uses_deploys(api: Api) -> None:
    first, middle, last = _three(api)
    project_id = str(api.get(first).json()["projects"][0]["id"])
    for version in (first, last):
        deploy = api.http.post(
            api.release_url(version) + "deploys/", json={"environment": "prod"}, headers=api.world.headers()
        )
        assert deploy.status_code == 201
    meta = _meta(api, last, project=project_id, environment="prod")
    assert meta["prevReleaseVersion"] == first and meta["firstReleaseVersion"] == first
    assert _meta(api, middle, project=project_id, environment="prod")["nextReleaseVersion"] == last
    none = _meta(api, middle, project=project_id, environment="staging")
    assert none["firstReleaseVersion"] is None and none["lastReleaseVersion"] is None


def test_adoption_stages_only_when_asked(api: Api) -> None:
    version = unique("adopt")
    api.create(version)
    assert "adoptionStages" not in _details(api, version).json()
    stages = _details(api, version, adoptionStages="1").json()["adoptionStages"]
    assert stages == {api.world.project: {"stage": "low_adoption", "adopted": None, "unadopted": None}}


def test_first_and_last_event_come_from_the_events(api: Api, base_url: str, world: World) -> None:
    version = unique("events")
    api.create(version)
    dsn, project_id = project_dsn(base_url, world)
    url = f"{base_url}/api/{project_id}/store/"
    now = datetime.now(UTC).replace(microsecond=0)
    stamps = [now - timedelta(hours=hours) for hours in (3, 1, 5)]  # the oldest arrives last
    calls = []
    for timestamp in stamps:
        event = _event(release=version, timestamp=timestamp.isoformat())
        with count_requests(background=True) as counted:
            assert requests.post(url, json=event, headers=_auth(_public_key(dsn))).ok
            events_processed()
        calls.append(counted)
    # an event of a known group costs one UpdateItem more when it names a release (none read):
    # the key, the hash (BatchGetItem), the group read back; the transaction (with the hourly
    # count), the release, and the group's index key (its last_seen moved two hours ahead). Its
    # hour is a later one than the group holds: the first transaction is refused, the group read,
    # and the next one moves the held hour's count to its row; the ledger entry's follow-up mark;
    # the tag summary read and written once for the batch (the latest event is the event
    # store's newest: no write of its own); the project's data scrubbing options (2); the event's
    # id claimed for its message
    kinds = {"GetItem", "BatchGetItem", "UpdateItem", "TransactWriteItems", "PutItem"}
    written = {k: n for k, n in calls[1].items() if k in kinds}
    expected = {
        "GetItem": 2 + 1 + 1 + 2,
        "BatchGetItem": 1,
        "UpdateItem": 2,
        "TransactWriteItems": 1 + 1,
        "PutItem": 1 + 1 + 1,
    }
    assert written == expected
    # a new group: the key; the batch's release bookkeeping reads the release once (consistently,
    # ``shared.releases.from_events``), which makes sure of the group's first release too (no
    # second update or read of it); the group hash is in a BatchGetItem; the project's data
    # scrubbing options (2)
    assert (calls[0]["GetItem"], calls[0]["BatchGetItem"]) == (1 + 1 + 2, 1)
    # the release's first event, the short id, the release's new_groups and at most a block of
    # group ids for the processor environment (shared/issues/groups.py): no second release update
    assert calls[0]["UpdateItem"] <= 1 + 1 + 1 + 1
    body = api.get(version).json()
    assert body["firstEvent"] == format_datetime(stamps[2]) and body["lastEvent"] == format_datetime(
        stamps[1]
    )


def test_version_info_is_relays_parse_on_every_release_response(api: Api) -> None:
    """``versionInfo`` as Sentry exposes Relay's release parser: package, semver parts and build code
    of ``package@version+build``; only ``raw`` for a version that is not ``package@semver``; a
    40-hex version is a build hash."""
    package = unique("shop")
    version = f"{package}@1.2.3-beta.1+45"
    created = api.create(version)
    assert created.status_code == 201, created.text
    expected = {
        "package": package,
        "version": {
            "raw": "1.2.3-beta.1+45",
            "major": 1,
            "minor": 2,
            "patch": 3,
            "pre": "beta.1",
            "buildCode": "45",
            "components": 3,
        },
        "description": "1.2.3-beta.1 (45)",
        "buildHash": None,
    }
    assert created.json()["versionInfo"] == expected
    assert _details(api, version).json()["versionInfo"] == expected
    updated = api.put(version, {"ref": "main"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["versionInfo"] == expected
    listed = api.http.get(
        f"{api.org_url}/releases/", params={"query": package}, headers=api.world.headers()
    ).json()
    assert [r["versionInfo"] for r in listed] == [expected]

    plain = unique("plain")
    api.create(plain)
    assert _details(api, plain).json()["versionInfo"] == {
        "package": None,
        "version": {"raw": plain},
        "description": plain,
        "buildHash": None,
    }
    sha = uuid.uuid4().hex + "abcdef01"
    assert api.create(sha).status_code == 201
    info = _details(api, sha).json()["versionInfo"]
    assert (info["buildHash"], info["description"]) == (sha, sha[:12])
