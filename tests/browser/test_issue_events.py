"""An issue's events in a real browser: three real sentry-sdk events of one issue, read one at a
time with older / newer / oldest / latest, each with its frames, breadcrumbs, request, user,
contexts, tags and attachment (downloaded as sent); the events tab lists them with their time,
release, environment and user; the raw JSON is the API's. Every view passes axe-core."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
import sentry_sdk
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.pages import go, heading, idle, link, text_appears, wait
from tests.browser.test_web_pages import assert_accessible, sign_in
from tests.clients.test_event_store_clients import SCRIPT as NODE_SCRIPT
from tests.clients.test_event_store_clients import sentry_node  # noqa: F401 (the fixture)
from tests.clients.test_sentry_sdk_ingest import sdk
from tests.conftest import World, events_processed
from tests.integration.test_ingest_api import project_dsn

REPORT = b"order=12345\nstatus=declined\n"


class RefundRejected(Exception):
    pass


def _raise_refund() -> None:
    raise RefundRejected("the refund was rejected")


def send_three_events(base_url: str, world: World) -> list[str]:
    """Three events of one issue, oldest first, each from its own user, release and page."""
    dsn, _ = project_dsn(base_url, world)
    ids = []
    for n in range(3):
        environment = "production" if n else "staging"
        with sdk(dsn, release=f"shop@1.0.{n}", environment=environment), sentry_sdk.new_scope() as scope:
            scope.set_user({"id": str(n), "email": f"buyer{n}@example.com"})
            scope.set_tag("checkout.step", f"step-{n}")
            scope.set_context("cart", {"items": n + 1, "currency": "EUR"})
            scope.add_breadcrumb(category="http", message=f"POST /refunds/{n}", level="info")
            scope.add_attachment(bytes=REPORT, filename=f"refund-{n}.txt", content_type="text/plain")
            scope.add_event_processor(
                lambda event, hint, n=n: {
                    **event,
                    "request": {"url": f"https://shop.example.com/refunds/{n}", "method": "POST"},
                }
            )
            try:
                _raise_refund()
            except RefundRejected as error:
                ids.append(sentry_sdk.capture_exception(error))
        time.sleep(1.1)  # distinct seconds: the events' order is their time
    return ids


def _issue_id(base_url: str, world: World, event_id: str) -> str:
    answer = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/events/{event_id}/",
        headers=world.headers(),
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["groupID"]


def _shown_event(browser) -> str:
    return wait(browser, lambda d: d.find_element(By.ID, "event-id")).text.split(" ")[1]


def _step(browser, label: str) -> None:
    """Follow the event navigation's ``label`` link, until the page shows another event (the page
    replaces the event once its request answers, which ``idle`` may not see begin)."""
    before = _shown_event(browser)
    nav = browser.find_element(By.CSS_SELECTOR, "nav.event-nav")
    nav.find_element(By.XPATH, f".//a[normalize-space(.)={json.dumps(label)}]").send_keys(Keys.ENTER)
    idle(browser)
    wait(browser, lambda d: d.find_element(By.ID, "event-id").text.split(" ")[1] != before)


def test_an_issues_events_one_at_a_time_with_every_part(
    browser, base_url, world: World, axe_source: str, downloads: Path
) -> None:
    oldest, middle, newest = send_three_events(base_url, world)
    issue_id = _issue_id(base_url, world, newest)
    assert {_issue_id(base_url, world, e) for e in (oldest, middle)} == {issue_id}

    sign_in(browser, base_url, world)
    go(browser, f"#/{world.org}/issues/{issue_id}")
    heading(browser, "RefundRejected")
    # the page of the previous test's issue (titled alike) may still be shown for a moment
    wait(browser, lambda d: d.find_element(By.ID, "event-id").text.split(" ")[1] == newest)
    section = browser.find_element(By.ID, "latest-event")
    assert "RefundRejected: the refund was rejected" in section.text
    first = section.find_element(By.CSS_SELECTOR, ".app-frames details.frame")
    assert "_raise_refund" in first.find_element(By.TAG_NAME, "summary").text
    assert "POST /refunds/2" in browser.find_element(By.ID, "breadcrumbs-title-part").text
    assert "https://shop.example.com/refunds/2" in browser.find_element(By.ID, "request-title-part").text
    assert "buyer2@example.com" in browser.find_element(By.ID, "user-title-part").text
    contexts = browser.find_element(By.ID, "contexts-title-part").text
    assert "cart" in contexts and "EUR" in contexts
    tags = browser.find_element(By.ID, "tags-title-part").text
    assert "step-2" in tags and "shop@1.0.2" in tags
    # every frame sits behind the folded full trace
    assert section.find_element(By.CSS_SELECTOR, "details.full-trace").get_attribute("open") is None
    # Latest and Newer lead nowhere from the newest event
    assert [b.text for b in section.find_elements(By.CSS_SELECTOR, "nav.event-nav button[disabled]")] == [
        "Newer",
        "Latest",
    ]
    assert_accessible(browser, axe_source)

    attachments = browser.find_element(By.ID, "attachments-title-part")
    assert "refund-2.txt" in attachments.text and f"{len(REPORT)} bytes" in attachments.text
    attachments.find_element(By.XPATH, ".//button[normalize-space(.)='Download refund-2.txt']").send_keys(
        Keys.ENTER
    )
    saved = downloads / "refund-2.txt"
    wait(browser, lambda d: saved.is_file() and saved.read_bytes() == REPORT)

    _step(browser, "Older")
    assert _shown_event(browser) == middle
    assert "buyer1@example.com" in browser.find_element(By.ID, "user-title-part").text
    _step(browser, "Oldest")
    assert _shown_event(browser) == oldest
    assert "POST /refunds/0" in browser.find_element(By.ID, "breadcrumbs-title-part").text
    _step(browser, "Newer")
    assert _shown_event(browser) == middle
    _step(browser, "Latest")
    assert _shown_event(browser) == newest

    raw = browser.find_element(By.CSS_SELECTOR, "details.raw-json")
    raw.find_element(By.TAG_NAME, "summary").send_keys(Keys.ENTER)
    wait(browser, lambda d: raw.get_attribute("open") is not None)
    api_event = requests.get(
        f"{base_url}/api/0/issues/{issue_id}/events/{newest}/", headers=world.headers(), timeout=60
    ).json()
    shown = json.loads(raw.find_element(By.TAG_NAME, "pre").get_attribute("textContent"))
    assert shown["eventID"] == newest and shown["entries"] == api_event["entries"]
    assert_accessible(browser, axe_source)


def test_the_events_tab_lists_each_event_with_time_release_environment_and_user(
    browser, base_url, world: World, axe_source: str
) -> None:
    ids = send_three_events(base_url, world)
    issue_id = _issue_id(base_url, world, ids[0])
    sign_in(browser, base_url, world)
    go(browser, f"#/{world.org}/issues/{issue_id}")
    link(browser, "Events").send_keys(Keys.ENTER)
    idle(browser)
    text_appears(browser, ids[0][:12])
    rows = browser.find_elements(By.CSS_SELECTOR, "#issue-events tbody tr")
    assert [r.get_attribute("data-event") for r in rows] == list(reversed(ids))
    for n, row in zip((2, 1, 0), rows, strict=True):
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        assert cells[0] == ids[n][:12]
        assert cells[1]  # a relative time ("just now", "1 minute ago")
        assert cells[2:] == [f"shop@1.0.{n}", "production" if n else "staging", f"buyer{n}@example.com"]
    assert_accessible(browser, axe_source)
    rows[2].find_element(By.TAG_NAME, "a").send_keys(Keys.ENTER)
    idle(browser)
    assert _shown_event(browser) == ids[0]
    assert uuid.UUID(ids[0])


def test_a_node_sdk_event_shows_its_frames_user_tags_context_and_breadcrumbs(
    browser, base_url, world: World, axe_source: str, request: pytest.FixtureRequest
) -> None:
    modules = request.getfixturevalue("sentry_node")  # the clients suite's install of @sentry/node
    dsn, _ = project_dsn(base_url, world)
    sent = subprocess.run(
        ["node", str(NODE_SCRIPT), dsn],
        env={**os.environ, "NODE_PATH": str(modules)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    event_id = sent.stdout.strip()
    events_processed()
    issue_id = _issue_id(base_url, world, event_id)
    sign_in(browser, base_url, world)
    go(browser, f"#/{world.org}/issues/{issue_id}")
    heading(browser, "TypeError")
    assert _shown_event(browser) == event_id
    section = browser.find_element(By.ID, "latest-event")
    frames = section.find_elements(By.CSS_SELECTOR, "details.full-trace details.frame summary")
    assert any("checkout" in f.get_attribute("textContent") for f in frames)
    assert "grace@example.com" in browser.find_element(By.ID, "user-title-part").text
    assert "acme" in browser.find_element(By.ID, "tags-title-part").text
    assert "12345" in browser.find_element(By.ID, "contexts-title-part").text
    assert "SELECT * FROM carts" in browser.find_element(By.ID, "breadcrumbs-title-part").text
    assert "https://shop.example.com/checkout" in browser.find_element(By.ID, "request-title-part").text
    assert "Release: shop-node@2.0.0" in browser.find_element(By.ID, "event-id").text
    assert_accessible(browser, axe_source)
