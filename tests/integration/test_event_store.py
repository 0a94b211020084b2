"""The event store through Sentry's event endpoints: every counted event is kept (one object per
batch) and listed, read by id within its issue, its project and its organization, with its
neighbours; deleting or discarding the issue hides its events at once; bad ids and cursors get
Sentry's answers; a processor stopped after any request keeps its events through the redelivery,
once."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests

from local.faults import disarm, passed, stop_after
from local.metering import count_requests
from shared.config import settings
from shared.ingest.batch import store_batch
from shared.ingest.event import normalize_event
from shared.ingest.grouping import event_hash
from shared.ingest.queue import encode_event
from shared.issues.updates.merge import merge_groups
from shared.storage.accounts import Project
from shared.storage.base import utcnow
from shared.storage.group_state import EventIds, GroupEvents, GroupHash
from shared.storage.issues import Group
from shared.storage.objects import s3
from tests import conftest
from tests.conftest import World, events_queue_record
from tests.integration.deletion_support import project_of, run_worker_until_idle

RICH = {
    "platform": "python",
    "environment": "production",
    "release": "shop@1.2.3",
    "server_name": "web-1",
    "logger": "shop.checkout",
    "user": {"id": "42", "email": "ada@example.com", "username": "ada"},
    "tags": {"customer": "acme"},
    "contexts": {
        "os": {"name": "Linux", "version": "6.1"},
        "runtime": {"name": "CPython", "version": "3.13.1"},
    },
    "breadcrumbs": {"values": [{"timestamp": 1764800000.5, "category": "http", "message": "GET /cart"}]},
    "request": {"url": "https://shop.example.com/cart", "method": "POST", "headers": {"Accept": "text/html"}},
    "exception": {
        "values": [
            {
                "type": "KeyError",
                "value": "'sku'",
                "mechanism": {"type": "generic", "handled": False},
                "stacktrace": {
                    "frames": [
                        {
                            "filename": "shop/cart.py",
                            "function": "checkout",
                            "module": "shop.cart",
                            "lineno": 12,
                            "in_app": True,
                            "pre_context": ["def checkout(cart):"],
                            "context_line": "    return cart['sku']",
                            "post_context": [""],
                            "vars": {"cart": "{}"},
                        }
                    ]
                },
            }
        ]
    },
}


def _payload(fingerprint: str, seconds_ago: float = 0, **fields: Any) -> dict[str, Any]:
    when = utcnow() - timedelta(seconds=seconds_ago)
    return {
        "event_id": uuid.uuid4().hex,
        "fingerprint": [fingerprint],
        "timestamp": when.isoformat(),
        **fields,
    }


def _record(project: Project, payload: dict[str, Any]) -> dict[str, Any]:
    return events_queue_record(encode_event(project.id, project.org_id, utcnow(), payload))


def _group_of(project: Project, fingerprint: str) -> Group:
    """The group the events of ``fingerprint`` went to (by their grouping hash)."""
    hash_value = event_hash(normalize_event(_payload(fingerprint, **RICH), utcnow()))
    row = GroupHash.get(*GroupHash.key(project.id, hash_value), consistent_read=True)
    return Group.get(*Group.key(row.group_id), consistent_read=True)


def _get(base_url: str, world: World, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{base_url}/api/0/{path}", headers=world.headers(), params=params, timeout=30)


def _kept(project: Project, fingerprint: str, batches: list[list[float]]) -> tuple[Group, list[str]]:
    """Batches of events of one issue (each event so many seconds old): the group and the event
    ids, newest first."""
    ids: list[tuple[float, str]] = []
    for ages in batches:
        payloads = [_payload(fingerprint, age, **RICH) for age in ages]
        assert store_batch([_record(project, p) for p in payloads]) == set()
        ids += [(age, p["event_id"]) for age, p in zip(ages, payloads, strict=True)]
    return _group_of(project, fingerprint), [event_id for _, event_id in sorted(ids)]


def test_every_event_of_an_issue_is_listed_and_read_by_id(
    base_url: str, world: World, project: Project
) -> None:
    group, ids = _kept(project, uuid.uuid4().hex, [[5, 4], [3], [2, 1]])
    listed = _get(base_url, world, f"issues/{group.id}/events/")
    assert listed.status_code == 200, listed.text
    assert [e["eventID"] for e in listed.json()] == ids
    first = listed.json()[0]
    assert first["groupID"] == str(group.id) and first["projectID"] == str(project.id)
    assert first["title"] == "KeyError: 'sku'" and first["event.type"] == "error"
    assert first["user"]["email"] == "ada@example.com"
    assert {"key": "customer", "value": "acme"} in first["tags"]
    assert "entries" not in first  # without full: Sentry's simple serializer

    full = _get(base_url, world, f"organizations/{world.org}/issues/{group.id}/events/", full="true")
    assert [e["eventID"] for e in full.json()] == ids
    assert all(e["entries"] for e in full.json())

    for i, event_id in enumerate(ids):
        for path in (
            f"issues/{group.id}/events/{event_id}/",
            f"projects/{world.org}/{world.project}/events/{event_id}/",
        ):
            answer = _get(base_url, world, path)
            assert answer.status_code == 200, (path, answer.text)
            body = answer.json()
            assert body["eventID"] == event_id and body["id"] == event_id
            assert body["nextEventID"] == (ids[i - 1] if i > 0 else None), path
            assert body["previousEventID"] == (ids[i + 1] if i + 1 < len(ids) else None), path
        resolved = _get(base_url, world, f"organizations/{world.org}/eventids/{event_id}/")
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["groupId"] == str(group.id)
        assert resolved.json()["projectSlug"] == world.project
        assert resolved.json()["organizationSlug"] == world.org
        assert resolved.json()["event"]["eventID"] == event_id

    assert _get(base_url, world, f"issues/{group.id}/events/latest/").json()["eventID"] == ids[0]
    assert _get(base_url, world, f"issues/{group.id}/events/oldest/").json()["eventID"] == ids[-1]
    assert _get(base_url, world, f"issues/{group.id}/events/recommended/").json()["eventID"] == ids[0]
    project_list = _get(base_url, world, f"projects/{world.org}/{world.project}/events/")
    assert set(ids) <= {e["eventID"] for e in project_list.json()}


def test_an_event_comes_back_with_what_the_sdk_sent(base_url: str, world: World, project: Project) -> None:
    group, [event_id] = _kept(project, uuid.uuid4().hex, [[1]])
    body = _get(base_url, world, f"issues/{group.id}/events/{event_id}/").json()
    assert body["user"] == {
        "id": "42",
        "email": "ada@example.com",
        "username": "ada",
        "ip_address": None,
        "name": None,
        "geo": None,
        "data": None,
    }
    # Relay's normalization adds the display form (``os``) to what the SDK sent
    assert body["contexts"]["os"] == {"type": "os", "name": "Linux", "version": "6.1", "os": "Linux 6.1"}
    assert body["release"]["version"] == "shop@1.2.3"
    assert body["platform"] == "python" and body["size"] > 500
    assert body["dateCreated"] and body["dateReceived"]
    tags = {t["key"]: t["value"] for t in body["tags"]}
    assert tags == {
        "customer": "acme",
        "environment": "production",
        "handled": "no",
        "level": "error",
        "logger": "shop.checkout",
        "mechanism": "generic",
        "os": "Linux 6.1",
        "os.name": "Linux",
        "release": "shop@1.2.3",
        "runtime": "CPython 3.13.1",
        "runtime.name": "CPython",
        "server_name": "web-1",
        "url": "https://shop.example.com/cart",
        "user": "id:42",
    }
    entries = {e["type"]: e["data"] for e in body["entries"]}
    [exception] = entries["exception"]["values"]
    assert exception["mechanism"] == {"type": "generic", "handled": False}
    [frame] = exception["stacktrace"]["frames"]
    assert frame["vars"] == {"cart": "{}"} and frame["inApp"] is True
    assert frame["context"] == [[11, "def checkout(cart):"], [12, "    return cart['sku']"], [13, ""]]
    [crumb] = entries["breadcrumbs"]["values"]
    assert crumb["category"] == "http" and crumb["timestamp"].startswith("2025-12-03T22:13:20.5")
    assert entries["request"]["headers"] == [["Accept", "text/html"]]
    assert entries["request"]["method"] == "POST"


def test_pages_follow_their_link_cursors(base_url: str, world: World, project: Project) -> None:
    group, ids = _kept(project, uuid.uuid4().hex, [[9, 8, 7], [6, 5]])
    seen: list[str] = []
    answer = _get(base_url, world, f"issues/{group.id}/events/", per_page=2)
    pages = 0
    while True:
        assert answer.status_code == 200, answer.text
        seen += [e["eventID"] for e in answer.json()]
        pages += 1
        nxt = answer.links["next"]
        if nxt["results"] != "true":
            break
        answer = requests.get(nxt["url"], headers=world.headers(), timeout=30)
    assert seen == ids and pages == 3
    back = requests.get(answer.links["previous"]["url"], headers=world.headers(), timeout=30)
    assert [e["eventID"] for e in back.json()] == ids[2:4]


def test_a_time_window_and_an_environment_narrow_the_list(
    base_url: str, world: World, project: Project
) -> None:
    fingerprint = uuid.uuid4().hex
    old = _payload(fingerprint, 7200, **{**RICH, "environment": "staging"})
    new = _payload(fingerprint, 1, **RICH)
    assert store_batch([_record(project, old), _record(project, new)]) == set()
    group = _group_of(project, fingerprint)
    recent = _get(base_url, world, f"issues/{group.id}/events/", statsPeriod="1h")
    assert [e["eventID"] for e in recent.json()] == [new["event_id"]]
    staging = _get(base_url, world, f"issues/{group.id}/events/", environment="staging")
    assert [e["eventID"] for e in staging.json()] == [old["event_id"]]
    start = (utcnow() - timedelta(hours=3)).isoformat()
    end = (utcnow() - timedelta(hours=1)).isoformat()
    window = _get(base_url, world, f"issues/{group.id}/events/", start=start, end=end)
    assert [e["eventID"] for e in window.json()] == [old["event_id"]]


def test_bad_ids_cursors_and_windows_get_sentrys_answers(
    base_url: str, world: World, project: Project
) -> None:
    group, [event_id] = _kept(project, uuid.uuid4().hex, [[1]])
    missing = uuid.uuid4().hex
    for path in (
        f"issues/{group.id}/events/{missing}/",
        f"issues/{group.id}/events/not-an-event/",
        f"projects/{world.org}/{world.project}/events/{missing}/",
        f"projects/{world.org}/{world.project}/events/xyz/",
        f"organizations/{world.org}/eventids/{missing}/",
    ):
        answer = _get(base_url, world, path)
        assert (answer.status_code, answer.json()) == (404, {"detail": "Event not found"}), path
    assert _get(base_url, world, "issues/999999999/events/").status_code == 404
    later, earlier = "2026-01-02T00:00:00", "2026-01-01T00:00:00"
    bad = [
        ({"cursor": "garbage!"}, "Invalid cursor parameter."),
        ({"statsPeriod": "forever"}, "Invalid statsPeriod"),
        ({"start": earlier}, "start and end are both required"),
        ({"start": "yesterday", "end": later}, "yesterday is not a valid ISO8601 date query"),
        ({"start": later, "end": earlier}, "start must be before end"),
        (
            {"statsPeriod": "1h", "start": earlier, "end": later},
            "You cannot use statsPeriod with start and end",
        ),
        ({"per_page": "0"}, "Invalid per_page value. Must be between 1 and 100."),
    ]
    for params, detail in bad:
        answer = _get(base_url, world, f"issues/{group.id}/events/", **params)
        assert (answer.status_code, answer.json()) == (400, {"detail": detail}), params
    other = conftest.make_world()
    foreign = requests.get(
        f"{base_url}/api/0/organizations/{other.org}/eventids/{event_id}/",
        headers=other.headers(),
        timeout=30,
    )
    assert (foreign.status_code, foreign.json()) == (404, {"detail": "Event not found"})
    stranger = _get(base_url, other, f"issues/{group.id}/events/{event_id}/")
    assert stranger.status_code == 404


@pytest.mark.parametrize("how", ["delete", "discard"])
def test_deleting_or_discarding_the_issue_hides_its_events_at_once(
    base_url: str, world: World, project: Project, how: str
) -> None:
    if how == "discard":
        project = project_of(world, discard=True)
    group, [event_id] = _kept(project, uuid.uuid4().hex, [[1]])
    if how == "delete":
        answer = requests.delete(f"{base_url}/api/0/issues/{group.id}/", headers=world.headers(), timeout=30)
    else:
        answer = requests.put(
            f"{base_url}/api/0/issues/{group.id}/",
            headers=world.headers(),
            json={"discard": True},
            timeout=30,
        )
    assert answer.status_code in (202, 204), answer.text
    for path in (
        f"projects/{world.org}/{world.project}/events/{event_id}/",
        f"organizations/{world.org}/eventids/{event_id}/",
    ):
        gone = _get(base_url, world, path)
        assert (gone.status_code, gone.json()) == (404, {"detail": "Event not found"}), path
    listed = _get(base_url, world, f"projects/{world.org}/{world.project}/events/")
    assert event_id not in {e["eventID"] for e in listed.json()}
    assert _get(base_url, world, f"issues/{group.id}/events/").status_code == 404


def test_one_object_per_batch_and_its_events_decode_alone(project: Project) -> None:
    fingerprints = [uuid.uuid4().hex for _ in range(3)]
    payloads = [_payload(f, 1, **RICH) for f in fingerprints for _ in range(2)]
    assert store_batch([_record(project, p) for p in payloads]) == set()
    refs = [
        next(GroupEvents.query(f"GROUP#{_group_of(project, f).id}", GroupEvents.sk.startswith("EVENTS#")))
        for f in fingerprints
    ]
    [object_key] = {str(r.object_key) for r in refs}
    body = s3().get_object(Bucket=settings().events_bucket, Key=object_key)["Body"].read()
    lines = gzip.decompress(body).decode().splitlines()
    assert sorted(json.loads(line)["event_id"] for line in lines) == sorted(p["event_id"] for p in payloads)
    ids = {i for i in EventIds.scan(EventIds.object_key == object_key)}
    assert sum(len(i.ids) for i in ids) == len(payloads)


def test_a_processor_stopped_after_any_request_keeps_its_events_once(
    base_url: str, world: World, project: Project
) -> None:
    fingerprint = uuid.uuid4().hex
    _kept(project, fingerprint, [[9]])
    records = [_record(project, _payload(fingerprint, age, **RICH)) for age in (2, 1)]
    stop_after(conftest.faults_url, 10_000)
    try:
        assert store_batch(records) == set()
        total = passed(conftest.faults_url)
    finally:
        disarm(conftest.faults_url)
    for step in range(total):
        fingerprint = f"stopped-{uuid.uuid4().hex}-{step}"
        _kept(project, fingerprint, [[9]])
        payloads = [_payload(fingerprint, age, **RICH) for age in (2, 1)]
        records = [_record(project, p) for p in payloads]
        stop_after(conftest.faults_url, step)
        try:
            failed = store_batch(records)
        finally:
            disarm(conftest.faults_url)
        assert failed == {r["messageId"] for r in records}, step
        assert store_batch(records) == set(), step  # delivered again
        assert store_batch(records) == set(), step  # and once more
        group = _group_of(project, fingerprint)
        listed = [e["eventID"] for e in _get(base_url, world, f"issues/{group.id}/events/").json()]
        assert len(listed) == 3 and listed[:2] == [payloads[1]["event_id"], payloads[0]["event_id"]], step
        for payload in payloads:
            answer = _get(
                base_url, world, f"projects/{world.org}/{world.project}/events/{payload['event_id']}/"
            )
            assert answer.status_code == 200, (step, answer.text)


def test_a_merge_lists_the_childs_events_under_the_parent(
    base_url: str, world: World, project: Project
) -> None:
    parent, parent_ids = _kept(project, uuid.uuid4().hex, [[5, 4, 2]])
    child, child_ids = _kept(project, uuid.uuid4().hex, [[3, 1]])
    assert merge_groups([parent, child], world.owner_id)["parent"] == str(parent.id)
    run_worker_until_idle()
    listed = _get(base_url, world, f"issues/{parent.id}/events/")
    listed_ids = [e["eventID"] for e in listed.json()]
    assert sorted(listed_ids) == sorted(child_ids + parent_ids)
    for event_id in child_ids:
        answer = _get(base_url, world, f"issues/{parent.id}/events/{event_id}/")
        assert answer.status_code == 200, answer.text
        assert answer.json()["groupID"] == str(parent.id)
    assert _get(base_url, world, f"issues/{child.id}/events/").status_code == 404


def test_an_issues_hashes_come_with_their_latest_event(base_url: str, world: World, project: Project) -> None:
    fingerprint = uuid.uuid4().hex
    group, ids = _kept(project, fingerprint, [[3, 2]])
    hash_value = event_hash(normalize_event(_payload(fingerprint, **RICH), utcnow()))
    answer = _get(base_url, world, f"issues/{group.id}/hashes/")
    assert answer.status_code == 200, answer.text
    [row] = answer.json()
    assert row["id"] == hash_value and row["mergedBySeer"] is False
    assert row["latestEvent"]["eventID"] == ids[0]
    assert 'rel="next"' in answer.headers["Link"]


def test_a_projects_events_page_by_their_cursors(base_url: str, world: World, project: Project) -> None:
    _, first = _kept(project, uuid.uuid4().hex, [[4, 3]])
    _, second = _kept(project, uuid.uuid4().hex, [[2, 1]])
    seen: list[str] = []
    answer = _get(base_url, world, f"projects/{world.org}/{world.project}/events/", per_page=3)
    while True:
        assert answer.status_code == 200, answer.text
        seen += [e["eventID"] for e in answer.json()]
        if answer.links["next"]["results"] != "true":
            break
        answer = requests.get(answer.links["next"]["url"], headers=world.headers(), timeout=30)
    assert sorted(seen) == sorted(first + second) and len(seen) == 4
    assert set(seen[:2]) == set(second)  # the newer batch first


def test_an_event_by_id_is_three_requests_with_its_release_from_the_releases_table(
    base_url: str, world: World, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The id bucket's Query, one BatchGetItem (the group, the release the index names, the
    project's id pointer) and the object's ranged GET, in a warm environment that knows its caller
    (``shared.auth.cache``); the release is the stored one, as the release endpoint shows it."""
    group, [event_id] = _kept(project, uuid.uuid4().hex, [[1]])
    path = f"organizations/{world.org}/eventids/{event_id}/"
    monkeypatch.setenv("AUTH_CACHE_SECONDS", "300")  # environments started from now on remember
    assert _get(base_url, world, path).status_code == 200  # the environment's caller is known now
    with count_requests() as calls:
        answer = _get(base_url, world, path)
    assert answer.status_code == 200, answer.text
    assert dict(calls) == {"Query": 1, "BatchGetItem": 1, "GetObject": 1}, calls
    body = answer.json()
    assert (body["projectSlug"], body["groupId"], body["eventId"]) == (world.project, str(group.id), event_id)

    stored = _get(base_url, world, f"organizations/{world.org}/releases/shop@1.2.3/")
    assert stored.status_code == 200, stored.text
    expected = stored.json()
    release = body["event"]["release"]
    assert release["id"] == expected["id"] and release["versionInfo"]["version"]["raw"] == "1.2.3"
    for field in ("version", "shortVersion", "dateCreated", "firstEvent", "lastEvent", "status"):
        assert release[field] == expected[field], field
    assert release["firstEvent"] is not None
    details = _get(base_url, world, f"projects/{world.org}/{world.project}/events/{event_id}/").json()
    assert details["release"] == release
    latest = _get(base_url, world, f"issues/{group.id}/events/latest/").json()
    assert latest["release"] == release


def test_a_members_event_id_lookup_follows_the_projects_teams(
    base_url: str, world: World, project: Project
) -> None:
    from shared.accounts.organizations import add_member, find_organization, join_team
    from tests.conftest import make_user

    _, [event_id] = _kept(project, uuid.uuid4().hex, [[1]])
    user_id, token = make_user()
    organization = find_organization(world.org)
    assert organization is not None and not organization.open_membership
    member = add_member(organization, user_id, "member")
    url = f"{base_url}/api/0/organizations/{world.org}/eventids/{event_id}/"
    answer = requests.get(url, headers=world.headers(token), timeout=30)
    assert answer.status_code == 404, answer.text
    assert answer.json() == {"detail": "Event not found"}
    [team_id] = project.team_ids
    join_team(member, int(team_id))
    with count_requests() as calls:
        answer = requests.get(url, headers=world.headers(token), timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["projectSlug"] == world.project
    assert calls["GetItem"] >= 1  # the project item, for its teams (beside any of the caller's reads)
