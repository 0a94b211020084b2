"""Ingestion over HTTP with hand-built requests: DSN keys and auth, envelope and store bodies,
compression, malformed input, ignored item types, and the DynamoDB requests an event costs."""

from __future__ import annotations

import gzip
import json
import os
import time
import uuid
import zlib
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from local.metering import count_requests
from shared.issues.enums import GroupStatus
from shared.issues.status_index import status_groups
from shared.projects.keys import get_project_key
from shared.storage.issues import Group, IssueItem, group_pk
from tests.conftest import World, events_processed


def project_dsn(base_url: str, world: World) -> tuple[str, int]:
    """The project's DSN as the keys endpoint shows it, and the project id."""
    response = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/keys/", headers=world.headers()
    )
    assert response.status_code == 200, response.text
    [key] = response.json()
    return key["dsn"]["public"], int(key["projectId"])


def project_groups(project_id: int) -> list[Group]:
    """Every group of the project, whatever its status (the issue-list index, one Query per status),
    once the events accepted so far have been processed."""
    events_processed()
    return [group for status in GroupStatus for group in status_groups(project_id, status)]


def clear_of_hour_end(margin: float = 20.0) -> None:
    """Sleep into the next hour when this one ends within ``margin`` seconds: a test that counts the
    events of one hour bucket must not straddle two."""
    now = datetime.now(UTC)
    left = 3600 - (now.minute * 60 + now.second + now.microsecond / 1e6)
    if left < margin:
        time.sleep(left + 0.5)


def stored_group(group: Group) -> Group:
    events_processed()
    return Group.get(*Group.key(group.id), consistent_read=True)


def group_rows(group: Group) -> dict[type, list[Any]]:
    """The rows of the group's partition by model (missing models map to an empty list)."""
    events_processed()
    rows: dict[type, list[Any]] = defaultdict(list)
    for row in IssueItem.query(group_pk(group.id), consistent_read=True):
        rows[type(row)].append(row)
    return rows


def _public_key(dsn: str) -> str:
    return dsn.split("//", 1)[1].split("@", 1)[0]


def _auth(public_key: str) -> dict[str, str]:
    return {"X-Sentry-Auth": f"Sentry sentry_key={public_key}, sentry_version=7, sentry_client=test/1.0"}


def _event(**fields: Any) -> dict[str, Any]:
    event = {
        "event_id": uuid.uuid4().hex,
        "level": "error",
        "platform": "python",
        "exception": {
            "values": [
                {
                    "type": "KeyError",
                    "value": "'user'",
                    "stacktrace": {
                        "frames": [
                            {"module": "django.core.handlers", "function": "get_response", "in_app": False},
                            {"module": "shop.views", "function": "checkout", "in_app": True, "lineno": 10},
                        ]
                    },
                }
            ]
        },
    }
    event.update(fields)
    return event


def _envelope(*items: tuple[dict[str, Any], bytes], header: dict[str, Any] | None = None) -> bytes:
    lines = [json.dumps(header or {}).encode()]
    for item_header, payload in items:
        lines += [json.dumps({**item_header, "length": len(payload)}).encode(), payload]
    return b"\n".join(lines) + b"\n"


def _event_item(event: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    return {"type": "event", "content_type": "application/json"}, json.dumps(event).encode()


def test_the_keys_endpoint_shows_the_project_dsn(base_url, world: World) -> None:
    response = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/keys/", headers=world.headers()
    )
    assert response.status_code == 200
    [key] = response.json()
    assert key["id"] == key["public"] and len(key["public"]) == 32 and len(key["secret"]) == 32
    assert (key["name"], key["label"], key["isActive"]) == ("Default", "Default", True)
    # the ingestion function's URL, a host of its own (tests/integration/test_function_url.py)
    host = os.environ["INGEST_URL"].split("//", 1)[1]
    assert host != base_url.split("//", 1)[1]
    assert key["dsn"]["public"] == f"http://{key['public']}@{host}/{key['projectId']}"
    assert key["dsn"]["secret"] == f"http://{key['public']}:{key['secret']}@{host}/{key['projectId']}"
    assert key["dateCreated"].endswith("Z")
    other = requests.get(f"{base_url}/api/0/projects/{world.org}/nope/keys/", headers=world.headers())
    assert other.status_code == 404


def test_an_envelope_event_creates_a_group_and_answers_its_id(target) -> None:
    url, public_key, project_id = target
    event = _event()
    response = requests.post(url, data=_envelope(_event_item(event)), headers=_auth(public_key))
    assert response.status_code == 200, response.text
    assert response.json() == {"id": event["event_id"]}
    [group] = project_groups(project_id)
    assert (group.title, group.culprit) == ("KeyError: 'user'", "shop.views in checkout")


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_bodies_are_accepted(target, encoding: str) -> None:
    import brotli

    url, public_key, project_id = target
    body = _envelope(_event_item(_event()))
    compressed = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[encoding](body)
    headers = {
        **_auth(public_key),
        "Content-Encoding": encoding,
        "Content-Type": "application/x-sentry-envelope",
    }
    assert requests.post(url, data=compressed, headers=headers).status_code == 200
    assert [g.times_seen for g in project_groups(project_id)] == [1]


def test_the_key_may_come_from_the_query_or_the_envelope_header(target) -> None:
    url, public_key, project_id = target
    by_query = requests.post(
        f"{url}?sentry_key={public_key}&sentry_version=7", data=_envelope(_event_item(_event()))
    )
    assert by_query.status_code == 200, by_query.text
    dsn = f"http://{public_key}@example.com/{project_id}"
    by_header = requests.post(url, data=_envelope(_event_item(_event()), header={"dsn": dsn}))
    assert by_header.status_code == 200, by_header.text
    assert [g.times_seen for g in project_groups(project_id)] == [2]


def test_bad_keys_are_refused_and_store_nothing(base_url, target, world: World) -> None:
    url, public_key, project_id = target
    body = _envelope(_event_item(_event()))
    assert requests.post(url, data=body).status_code == 401
    assert requests.post(url, data=body, headers=_auth("f" * 32)).status_code == 401
    with count_requests() as calls:
        assert requests.post(url, data=body, headers=_auth("k" * 5000)).status_code == 401
    assert "GetItem" not in calls  # no key could be this: never looked up
    # A real key of another project is not a key of this one.
    other = requests.post(
        f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/",
        json={"name": "Other"},
        headers=world.headers(),
    ).json()
    other_url = f"{base_url}/api/{other['id']}/envelope/"
    assert requests.post(other_url, data=body, headers=_auth(public_key)).status_code == 401
    key = get_project_key(public_key)
    key.update(actions=[type(key).is_active.set(False)])
    disabled = requests.post(url, data=body, headers=_auth(public_key))
    assert disabled.status_code == 403 and disabled.json() == {"detail": "This DSN key is disabled"}
    assert project_groups(project_id) == []
    assert (
        requests.post(f"{base_url}/api/web/envelope/", data=body, headers=_auth(public_key)).status_code
        == 404
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json\n",
        b'{}\n{"type": "event", "length": 500}\n{}\n',
        b'{}\n{"length": 2}\n{}\n',
        b'{}\n{"type": "event"}\n{not json}\n',
        b'{}\n{"type": "event"}\n[1, 2]\n',
        b'{}\n{"type": "event"}\n{"event_id": "not-a-uuid"}\n',
        # A valid event first: nothing of the envelope is stored when a later item is malformed.
        b'{}\n{"type": "event"}\n{"message": "fine"}\n{"type": "session"\n',
    ],
)
def test_malformed_envelopes_are_400_and_store_nothing(target, body: bytes) -> None:
    url, public_key, project_id = target
    response = requests.post(url, data=body, headers=_auth(public_key))
    assert response.status_code == 400, response.text
    assert set(response.json()) in ({"detail"}, {"event_id"})
    assert project_groups(project_id) == []


def test_bad_compression_is_refused(target) -> None:
    url, public_key, _ = target
    headers = {**_auth(public_key), "Content-Encoding": "gzip"}
    assert requests.post(url, data=b"plainly not gzip", headers=headers).status_code == 400
    headers["Content-Encoding"] = "compress"
    assert requests.post(url, data=b"whatever", headers=headers).status_code == 415


def test_other_item_types_are_accepted_and_ignored(target) -> None:
    url, public_key, project_id = target
    event_id = uuid.uuid4().hex
    body = _envelope(
        ({"type": "session"}, json.dumps({"sid": uuid.uuid4().hex, "status": "ok"}).encode()),
        ({"type": "transaction"}, json.dumps({"type": "transaction", "transaction": "/checkout"}).encode()),
        ({"type": "client_report"}, b'{"discarded_events": []}'),
        ({"type": "attachment", "filename": "log.txt"}, b"\x00\x01binary"),
        header={"event_id": event_id},
    )
    response = requests.post(url, data=body, headers=_auth(public_key))
    assert response.status_code == 200 and response.json() == {"id": event_id}
    assert project_groups(project_id) == []


def test_the_legacy_store_endpoint(base_url, target) -> None:
    _, public_key, project_id = target
    url = f"{base_url}/api/{project_id}/store/"
    event = _event(message="ignored: the exception names the event")
    response = requests.post(
        url,
        data=gzip.compress(json.dumps(event).encode()),
        headers={**_auth(public_key), "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 200 and response.json() == {"id": event["event_id"]}
    transaction = requests.post(
        url, json={"type": "transaction", "transaction": "/"}, headers=_auth(public_key)
    )
    assert transaction.status_code == 200
    assert requests.post(url, data=b"[]", headers=_auth(public_key)).status_code == 400
    assert [g.times_seen for g in project_groups(project_id)] == [1]


def test_oversized_and_invalid_fields_are_bounded_not_fatal(target) -> None:
    url, public_key, project_id = target
    huge = _event(release="latest")
    huge["exception"]["values"][0].update(type="E" * 300_000, value="v" * 300_000)
    response = requests.post(url, data=_envelope(_event_item(huge)), headers=_auth(public_key))
    assert response.status_code == 200, response.text
    again = _event(release="r" * 201)  # no release could have this version: the event has none
    again["exception"]["values"][0].update(type="E" * 200_000, value="v" * 1000)
    assert requests.post(url, data=_envelope(_event_item(again)), headers=_auth(public_key)).ok
    # both types are cut to the same 256 characters, so both events land on one group
    [group] = project_groups(project_id)
    assert group.times_seen == 2 and len(group.title) < 400 and group.first_release_version is None


DYNAMODB_CALLS = {"GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "TransactWriteItems"}


def _dynamodb(calls: Counter[str]) -> dict[str, int]:
    return {name: n for name, n in calls.items() if name in DYNAMODB_CALLS}


def test_requests_per_event_at_the_edge_and_in_the_processor(target, local_lambda) -> None:
    url, public_key, _ = target
    local_lambda.pool("EventProcessorFunction").close()  # the next batch starts a fresh environment...
    warm_up = _event(fingerprint=["warm-up"])
    assert requests.post(url, data=_envelope(_event_item(warm_up)), headers=_auth(public_key)).ok
    events_processed()
    # ...which reserved a block of group ids for its first group: the next group id costs no request
    now = datetime.now(UTC).replace(microsecond=0)
    with count_requests(background=True) as new:
        event = _event(timestamp=(now - timedelta(seconds=2)).isoformat())
        assert requests.post(url, data=_envelope(_event_item(event)), headers=_auth(public_key)).ok
        events_processed()
    assert new["SendMessage"] == 1  # the edge: the key (no caller memory in tests), then the queue
    # key; the project's data scrubbing options (its id pointer, then its item: once a batch); hash
    # (miss, read with the batch's other hashes), the short id reserved (ADD 1), one transaction
    # (with the event's ledger entry, hourly count, tag summary and the entry's follow-up mark), the
    # ledger read after it (none before: the event's id claimed first, by one conditional put that
    # says so, no entry can hold it)
    assert _dynamodb(new) == {
        "GetItem": 1 + 2,
        "BatchGetItem": 1,
        "UpdateItem": 1,
        "Query": 1,
        "TransactWriteItems": 1,
        "PutItem": 1,
    }
    with count_requests(background=True) as existing:
        event = _event(timestamp=(now - timedelta(seconds=1)).isoformat())
        assert requests.post(url, data=_envelope(_event_item(event)), headers=_auth(public_key)).ok
        events_processed()
    # key; the project's data scrubbing options (2); hash, the ledger read after one
    # transaction (group counts, the event's ledger entry and hourly count), the group read back for
    # its transitions, the entry's follow-up mark, the issue's tag summary read and written (its
    # latest event is the event store's newest: no item of its own); the event's id claimed
    expected = {"GetItem": 3 + 2, "BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1, "PutItem": 2 + 1}
    assert _dynamodb(existing) == expected


def test_concurrent_first_events_of_one_error_make_one_group(target) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url, public_key, project_id = target

    def send(_: int) -> int:
        return requests.post(
            url, data=_envelope(_event_item(_event())), headers=_auth(public_key)
        ).status_code

    with ThreadPoolExecutor(20) as pool:
        assert set(pool.map(send, range(20))) == {200}
    [group] = project_groups(project_id)
    assert group.times_seen == 20
