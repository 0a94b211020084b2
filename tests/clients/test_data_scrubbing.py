"""Sentry's data scrubbing on real sentry-sdk events: the defaults filter a password, an
Authorization header and a credit card number (recorded in ``_meta``) and keep the user's IP
address; the project's options (``safeFields``, ``sensitiveFields``, ``scrubIPAddresses``,
``dataScrubber``, ``relayPiiConfig``) change that from the next event on, and bad options are
Sentry's 400s that change nothing."""

from __future__ import annotations

import json
from typing import Any

import requests
import sentry_sdk
from sentry_sdk.scrubber import EventScrubber

from tests.clients.test_sentry_sdk_ingest import sdk
from tests.conftest import World
from tests.integration.test_ingest_api import project_dsn

CARD = "4111 1111 1111 1111"
DEFAULTS = {
    "dataScrubber": True,
    "dataScrubberDefaults": True,
    "scrubIPAddresses": False,
    "sensitiveFields": [],
    "safeFields": [],
    "relayPiiConfig": None,
}


def _send(dsn: str) -> str:
    """A sentry-sdk error carrying a password, a card number, a coupon, an Authorization header and
    the user's IP address, all sent as they are: the SDK's own scrubber (which would filter the
    password and the header before sending) is given nothing to scrub; its event id."""
    with sdk(dsn, send_default_pii=True, event_scrubber=EventScrubber(denylist=[], send_default_pii=True)):
        sentry_sdk.set_user({"id": "42", "ip_address": "203.0.113.9"})
        sentry_sdk.set_extra("password", "hunter2")
        sentry_sdk.set_extra("card", CARD)
        sentry_sdk.set_extra("coupon", "SPRING")
        with sentry_sdk.new_scope() as scope:
            request = {
                "url": "https://shop.example.com/pay",
                "method": "POST",
                "headers": {"Authorization": "Bearer s3cr3t-t0ken", "Accept": "text/html"},
            }
            scope.add_event_processor(lambda event, hint: {**event, "request": request})
            try:
                raise ValueError("payment refused")
            except ValueError:
                event_id = sentry_sdk.capture_exception()
    assert event_id
    return event_id


def _event(base_url: str, world: World, event_id: str) -> dict[str, Any]:
    path = f"{base_url}/api/0/projects/{world.org}/{world.project}/events/{event_id}/"
    answer = requests.get(path, headers=world.headers(), timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _put(base_url: str, world: World, body: dict[str, Any]) -> requests.Response:
    path = f"{base_url}/api/0/projects/{world.org}/{world.project}/"
    return requests.put(path, json=body, headers=world.headers(), timeout=30)


def _options(project: dict[str, Any]) -> dict[str, Any]:
    return {key: project[key] for key in DEFAULTS}


def _request(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    [(index, entry)] = [(i, e["data"]) for i, e in enumerate(body["entries"]) if e["type"] == "request"]
    return index, entry


def test_sentrys_defaults_filter_secrets_and_record_it(base_url: str, world: World) -> None:
    path = f"{base_url}/api/0/projects/{world.org}/{world.project}/"
    details = requests.get(path, headers=world.headers(), timeout=30)
    assert details.status_code == 200 and _options(details.json()) == DEFAULTS, details.text

    dsn, _ = project_dsn(base_url, world)
    body = _event(base_url, world, _send(dsn))
    assert body["context"] == {"password": "[Filtered]", "card": "[Filtered]", "coupon": "SPRING"}
    index, request = _request(body)
    assert dict(request["headers"]) == {"Authorization": "[Filtered]", "Accept": "text/html"}
    assert body["user"]["ip_address"] == "203.0.113.9" and body["user"]["id"] == "42"

    meta = body["_meta"]
    assert meta["context"]["password"][""]["rem"][0][0] == "@password:filter"
    assert meta["context"]["password"][""]["len"] == len("hunter2")
    assert meta["context"]["card"][""]["rem"][0][0] == "@creditcard:filter"
    header = dict(enumerate(request["headers"]))
    position = next(str(i) for i, (name, _) in header.items() if name == "Authorization")
    remark = meta["entries"][str(index)]["data"]["headers"][position]["1"][""]
    assert remark["rem"][0][0] == "@password:filter" or remark["rem"][0][0] == "@bearer:filter"
    assert remark["len"] == len("Bearer s3cr3t-t0ken")
    assert "coupon" not in meta["context"] and "user" not in meta


def test_the_projects_options_change_what_is_scrubbed(base_url: str, world: World) -> None:
    dsn, _ = project_dsn(base_url, world)
    changed = _put(
        base_url,
        world,
        {"safeFields": ["password"], "sensitiveFields": ["coupon"], "scrubIPAddresses": True},
    )
    assert changed.status_code == 200, changed.text
    expected = {
        **DEFAULTS,
        "safeFields": ["password"],
        "sensitiveFields": ["coupon"],
        "scrubIPAddresses": True,
    }
    assert _options(changed.json()) == expected

    body = _event(base_url, world, _send(dsn))
    assert body["context"] == {"password": "hunter2", "card": "[Filtered]", "coupon": "[Filtered]"}
    assert body["user"]["ip_address"] is None and body["user"]["id"] == "42"
    assert body["_meta"]["user"]["ip_address"][""]["rem"][-1] == ["@anything:remove", "x"]

    # scrubbing off: everything as sent, but what the advanced rules name
    rules = {
        "rules": {"drop-coupon": {"type": "anything", "redaction": {"method": "remove"}}},
        "applications": {"extra.coupon": ["drop-coupon"]},
    }
    off = _put(
        base_url,
        world,
        {"dataScrubber": False, "scrubIPAddresses": False, "relayPiiConfig": json.dumps(rules)},
    )
    assert off.status_code == 200, off.text
    assert (off.json()["dataScrubber"], json.loads(off.json()["relayPiiConfig"])) == (False, rules)
    body = _event(base_url, world, _send(dsn))
    assert body["context"] == {"password": "hunter2", "card": CARD, "coupon": None}
    # the rule named as Sentry merges a project's rules
    assert body["_meta"]["context"]["coupon"][""]["rem"] == [["project:drop-coupon", "x"]]
    _, request = _request(body)
    assert dict(request["headers"])["Authorization"] == "Bearer s3cr3t-t0ken"
    assert body["user"]["ip_address"] == "203.0.113.9"

    cleared = _put(base_url, world, {"relayPiiConfig": "", "dataScrubber": True})
    assert cleared.status_code == 200 and cleared.json()["relayPiiConfig"] is None, cleared.text


def test_bad_options_are_sentrys_400s_and_change_nothing(base_url: str, world: World) -> None:
    cases = [
        ({"dataScrubber": "maybe"}, {"dataScrubber": ["Must be a valid boolean."]}),
        ({"scrubIPAddresses": None}, {"scrubIPAddresses": ["This field may not be null."]}),
        ({"sensitiveFields": "token"}, {"sensitiveFields": ['Expected a list of items but got type "str".']}),
        ({"sensitiveFields": [""]}, {"sensitiveFields": ["This field may not be blank."]}),
        ({"sensitiveFields": ["x" * 4001]}, {"sensitiveFields": ["List of sensitive fields is too long."]}),
        (
            {"safeFields": ["password", "$user.", "&&"]},
            {"safeFields": ['Invalid syntax near "$user." (line 2),\nInvalid syntax near "&&" (line 3)']},
        ),
        ({"relayPiiConfig": "{nope"}, {"relayPiiConfig": ["key must be a string at line 1 column 2"]}),
    ]
    for body, errors in cases:
        answer = _put(base_url, world, {**body, "dataScrubberDefaults": False})
        assert (answer.status_code, answer.json()) == (400, errors), (body, answer.text)
    path = f"{base_url}/api/0/projects/{world.org}/{world.project}/"
    details = requests.get(path, headers=world.headers(), timeout=30)
    assert _options(details.json()) == DEFAULTS, details.text
