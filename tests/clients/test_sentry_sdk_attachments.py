"""Attachments sent with events: a real sentry-sdk event's files are listed in Sentry's shape and
download as the bytes sent; an envelope over a size limit is refused with Relay's answer and stores
nothing; an event sent twice lists its files once; deleting the issue hides them."""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from typing import Any

import requests
import sentry_sdk

from tests.clients.test_sentry_sdk_ingest import sdk
from tests.conftest import World, events_processed, make_world
from tests.integration.test_ingest_api import _auth, _event, _public_key, project_dsn

LOG = b"2026-12-04 checkout started\n2026-12-04 card declined\n"
BLOB = bytes(range(256)) * 40  # not text: every byte value, 10 KiB
TOO_LARGE = {
    "detail": "envelope exceeded size limits for type 'attachment' "
    "(https://develop.sentry.dev/sdk/envelopes/#size-limits)"
}
ATTACHMENT_KEYS = {"id", "event_id", "type", "name", "mimetype", "dateCreated", "size", "headers", "sha1"}


class CardDeclined(Exception):
    pass


def _send_with_attachments(dsn: str) -> str:
    with sdk(dsn, release="shop@1.0.0", environment="test"), sentry_sdk.new_scope() as scope:
        scope.add_attachment(bytes=LOG, filename="checkout.log", content_type="text/plain")
        scope.add_attachment(bytes=BLOB, filename="cart.bin")
        try:
            raise CardDeclined("card declined")
        except CardDeclined as error:
            event_id = sentry_sdk.capture_exception(error)
    assert event_id is not None
    return event_id


def _get(base_url: str, world: World, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{base_url}{path}", params=params, headers=world.headers(), timeout=60)


def _issue_of(base_url: str, world: World, event_id: str) -> str:
    answer = _get(base_url, world, f"/api/0/projects/{world.org}/{world.project}/events/{event_id}/")
    assert answer.status_code == 200, answer.text
    return answer.json()["groupID"]


def test_an_sdk_events_attachments_are_listed_and_download_as_sent(base_url, world: World) -> None:
    dsn, _ = project_dsn(base_url, world)
    event_id = _send_with_attachments(dsn)
    events_path = f"/api/0/projects/{world.org}/{world.project}/events/{event_id}/attachments/"

    listed = _get(base_url, world, events_path)
    assert listed.status_code == 200, listed.text
    by_name = {a["name"]: a for a in listed.json()}
    assert set(by_name) == {"checkout.log", "cart.bin"}
    log, blob = by_name["checkout.log"], by_name["cart.bin"]
    assert set(log) == ATTACHMENT_KEYS
    assert log["event_id"] == event_id and log["type"] == "event.attachment"
    assert log["size"] == len(LOG) and blob["size"] == len(BLOB)
    assert log["mimetype"] == "text/plain" and log["headers"] == {"Content-Type": "text/plain"}
    assert blob["mimetype"] == "application/octet-stream"
    assert log["sha1"] == hashlib.sha1(LOG).hexdigest()
    assert log["dateCreated"].endswith("Z")

    issue_id = _issue_of(base_url, world, event_id)
    of_issue = _get(base_url, world, f"/api/0/issues/{issue_id}/attachments/")
    assert of_issue.status_code == 200, of_issue.text
    assert sorted(a["id"] for a in of_issue.json()) == sorted(a["id"] for a in listed.json())
    only_logs = _get(base_url, world, f"/api/0/issues/{issue_id}/attachments/", event_id=event_id, per_page=1)
    assert len(only_logs.json()) == 1 and 'rel="next"; results="true"' in only_logs.headers["Link"]

    details = _get(base_url, world, f"{events_path}{log['id']}/")
    assert details.status_code == 200 and details.json() == log
    for attachment, sent in ((log, LOG), (blob, BLOB)):
        download = _get(base_url, world, f"{events_path}{attachment['id']}/", download="1")
        assert download.status_code == 200, download.text
        assert download.content == sent
        assert download.headers["Content-Type"].startswith(attachment["mimetype"])
        assert download.headers["Content-Disposition"].startswith(
            f'attachment; filename="{attachment["name"]}"'
        )

    missing = _get(base_url, world, f"{events_path}12345/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "The requested resource does not exist"})


def _envelope(event: dict[str, Any], *attachments: tuple[str, bytes]) -> bytes:
    lines = [json.dumps({"event_id": event["event_id"]}).encode()]
    raw = json.dumps(event).encode()
    lines += [json.dumps({"type": "event", "length": len(raw)}).encode(), raw]
    for name, payload in attachments:
        header = {
            "type": "attachment",
            "length": len(payload),
            "filename": name,
            "content_type": "text/plain",
        }
        lines += [json.dumps(header).encode(), payload]
    return b"\n".join(lines) + b"\n"


def _post(base_url: str, world: World, body: bytes) -> requests.Response:
    dsn, project_id = project_dsn(base_url, world)
    headers = {**_auth(_public_key(dsn)), "Content-Encoding": "gzip"}
    return requests.post(
        f"{base_url}/api/{project_id}/envelope/", data=gzip.compress(body), headers=headers, timeout=120
    )


def test_an_envelope_over_a_size_limit_is_refused_with_relays_answer_and_stores_nothing(
    base_url, world: World
) -> None:
    mib = 1024 * 1024
    one_too_large = _event()
    answer = _post(base_url, world, _envelope(one_too_large, ("big.log", b"x" * (4 * mib + 1))))
    assert (answer.status_code, answer.json()) == (413, TOO_LARGE)
    together_too_large = _event()
    parts = [(f"part{i}.log", b"y" * (4 * mib)) for i in range(4)] + [("last.log", b"z")]
    answer = _post(base_url, world, _envelope(together_too_large, *parts))
    assert (answer.status_code, answer.json()) == (413, TOO_LARGE)

    at_the_limit = _event()
    answer = _post(base_url, world, _envelope(at_the_limit, *parts[:4]))
    assert answer.status_code == 200, answer.text
    events_processed()
    for event, status in ((one_too_large, 404), (together_too_large, 404), (at_the_limit, 200)):
        path = f"/api/0/projects/{world.org}/{world.project}/events/{event['event_id']}/attachments/"
        assert _get(base_url, world, path).status_code == status


def test_an_event_sent_again_lists_its_attachments_once(base_url, world: World) -> None:
    event = _event()
    body = _envelope(event, ("retry.log", b"first try\n"))
    for _ in range(2):
        answer = _post(base_url, world, body)
        assert (answer.status_code, answer.json()) == (200, {"id": event["event_id"]})
    events_processed()
    path = f"/api/0/projects/{world.org}/{world.project}/events/{event['event_id']}/attachments/"
    listed = _get(base_url, world, path).json()
    assert [a["name"] for a in listed] == ["retry.log"]
    issue_id = _issue_of(base_url, world, event["event_id"])
    assert [a["name"] for a in _get(base_url, world, f"/api/0/issues/{issue_id}/attachments/").json()] == [
        "retry.log"
    ]
    # the same event id with other bytes: the first index stands and still names the first bytes
    assert _post(base_url, world, _envelope(event, ("retry.log", b"other bytes\n"))).status_code == 200
    [again] = _get(base_url, world, path).json()
    assert again == listed[0]
    download = _get(base_url, world, f"{path}{again['id']}/", download="1")
    assert download.content == b"first try\n"


def test_deleting_the_issue_hides_its_attachments_and_strangers_never_see_them(
    base_url, world: World
) -> None:
    dsn, _ = project_dsn(base_url, world)
    event_id = _send_with_attachments(dsn)
    issue_id = _issue_of(base_url, world, event_id)
    events_path = f"/api/0/projects/{world.org}/{world.project}/events/{event_id}/attachments/"
    [first, _] = _get(base_url, world, events_path).json()

    stranger = make_world()
    for path in (events_path, f"/api/0/issues/{issue_id}/attachments/"):
        seen = requests.get(f"{base_url}{path}", headers=stranger.headers(), timeout=60)
        assert seen.status_code == 404, seen.text
    unsigned = requests.get(f"{base_url}{events_path}", timeout=60)
    assert unsigned.status_code == 401

    deleted = requests.delete(f"{base_url}/api/0/issues/{issue_id}/", headers=world.headers(), timeout=60)
    assert deleted.status_code == 202, deleted.text
    for path in (events_path, f"{events_path}{first['id']}/", f"/api/0/issues/{issue_id}/attachments/"):
        answer = _get(base_url, world, path, download="1")
        assert answer.status_code == 404, answer.text
        assert "detail" in answer.json()


def test_an_attachment_of_an_unknown_event_is_not_found(base_url, world: World) -> None:
    path = f"/api/0/projects/{world.org}/{world.project}/events/{uuid.uuid4().hex}/attachments/"
    answer = _get(base_url, world, path)
    assert (answer.status_code, answer.json()) == (404, {"detail": "Event not found"})


def test_the_edge_keeps_the_bytes_under_the_events_prefix_and_indexes_them_once(
    base_url, world: World
) -> None:
    from shared.config import settings
    from shared.events.attachments import event_attachments, object_key
    from shared.storage.objects import s3

    event = _event()
    body = _envelope(event, ("first.log", b"one\n"), ("second.log", b"two\n"))
    for _ in range(2):
        assert _post(base_url, world, body).status_code == 200
    _, project_id = project_dsn(base_url, world)
    stored = event_attachments(project_id, event["event_id"])
    assert [(a.name, a.size, a.index) for a in stored] == [("first.log", 4, 0), ("second.log", 4, 1)]
    listing = s3().list_objects_v2(
        Bucket=settings().events_bucket, Prefix=f"attachments/{project_id}/{event['event_id']}/"
    )
    assert sorted(o["Key"] for o in listing["Contents"]) == [
        object_key(project_id, event["event_id"], 0, hashlib.sha1(b"one\n").hexdigest()),
        object_key(project_id, event["event_id"], 1, hashlib.sha1(b"two\n").hexdigest()),
    ]


def test_a_hostile_name_or_content_type_never_becomes_a_header(base_url, world: World) -> None:
    event = _event()
    raw = json.dumps(event).encode()
    payload = b"<script>alert(1)</script>"
    header = {
        "type": "attachment",
        "length": len(payload),
        "filename": 'résumé "x"\r\nSet-Cookie: a=b.html',
        "content_type": "text/html\r\nX-Evil: 1",
    }
    lines = [b"{}", json.dumps({"type": "event", "length": len(raw)}).encode(), raw]
    body = b"\n".join([*lines, json.dumps(header).encode(), payload]) + b"\n"
    assert _post(base_url, world, body).status_code == 200
    events_processed()
    path = f"/api/0/projects/{world.org}/{world.project}/events/{event['event_id']}/attachments/"
    [listed] = _get(base_url, world, path).json()
    assert listed["name"] == 'résumé "x"Set-Cookie: a=b.html'
    assert listed["mimetype"] == "application/octet-stream"
    download = _get(base_url, world, f"{path}{listed['id']}/", download="1")
    assert download.status_code == 200 and download.content == payload
    assert "X-Evil" not in download.headers and "Set-Cookie" not in download.headers
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="r_sum_ _x_Set-Cookie: a=b.html"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22Set-Cookie%3A%20a%3Db.html"
    )
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def _links(response: requests.Response) -> dict[str, str | None]:
    """rel → cursor of a Link header (None when it says there are no results)."""
    found: dict[str, str | None] = {}
    for part in response.headers["Link"].split(", "):
        rel = part.split('rel="')[1].split('"')[0]
        cursor = part.split('cursor="')[1].split('"')[0]
        found[rel] = cursor if 'results="true"' in part else None
    return found


def _issue_with_five_attached_events(base_url: str, world: World) -> tuple[str, list[str]]:
    """An issue of five sentry-sdk events with one file each; its id and its event ids as its
    event list orders them (newest first)."""
    dsn, _ = project_dsn(base_url, world)
    marker = f"paged-{uuid.uuid4().hex[:8]}"
    with sdk(dsn):
        for number in range(5):
            with sentry_sdk.new_scope() as scope:
                scope.fingerprint = [marker]
                scope.add_attachment(bytes=f"log {number}\n".encode(), filename=f"{number}.log")
                sentry_sdk.capture_message(marker)
    listed = _get(base_url, world, f"/api/0/projects/{world.org}/{world.project}/issues/", query=marker)
    [issue] = listed.json()
    events = _get(base_url, world, f"/api/0/issues/{issue['id']}/events/").json()
    assert len(events) == 5
    return issue["id"], [e["eventID"] for e in events]


def test_an_issues_attachments_page_with_cursors_both_ways(base_url, world: World) -> None:
    issue_id, event_ids = _issue_with_five_attached_events(base_url, world)
    path = f"/api/0/issues/{issue_id}/attachments/"
    pages, cursor = [], None
    while True:
        answer = _get(base_url, world, path, per_page=2, **({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        pages.append((answer.json(), _links(answer)))
        cursor = pages[-1][1]["next"]
        if cursor is None:
            break
    assert [len(items) for items, _ in pages] == [2, 2, 1]
    assert [a["event_id"] for items, _ in pages for a in items] == event_ids  # newest event first
    assert pages[0][1]["previous"] is None
    # the second page's previous link gives the first page again
    back = _get(base_url, world, path, per_page=2, cursor=pages[1][1]["previous"])
    assert [a["id"] for a in back.json()] == [a["id"] for a in pages[0][0]]
    assert _links(back)["previous"] is None and _links(back)["next"] is not None
    bad = _get(base_url, world, path, cursor="nonsense")
    assert (bad.status_code, bad.json()) == (400, {"detail": "Invalid cursor parameter."})


def test_a_walk_cut_short_by_its_bound_continues_from_where_it_stopped(
    base_url, world: World, monkeypatch
) -> None:
    """However many events an issue has, a request reads a bounded number of them; the next cursor
    goes on from the last one read, so every attachment is reached (here with a bound of two)."""
    from shared.auth.access import Principal
    from shared.events import attachment_pages
    from shared.issues.lookup import find_issue

    issue_id, event_ids = _issue_with_five_attached_events(base_url, world)
    _, group = find_issue(Principal.acting_user(world.owner_id), issue_id, None, frozenset({"event:read"}))
    monkeypatch.setattr(attachment_pages, "MAX_EVENTS_READ", 2)
    seen, cursor, requests_made = [], None, 0
    while True:
        page = attachment_pages.issue_attachments_page(group, cursor, 100, (), ())
        requests_made += 1
        seen += [a.event_id for a in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == event_ids and requests_made == 3
