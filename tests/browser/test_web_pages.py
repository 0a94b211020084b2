"""The web pages in a real browser, on the local API: sign in, see an issue a real sentry-sdk event
created, act on it from its page (resolve, ignore for 30 minutes, assign to a team), bulk-resolve
from the stream, and see a release whose commit fixes an issue. Every page passes axe-core without
serious or critical violations; actions are taken with the keyboard where a person could."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import requests
import sentry_sdk
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.pages import (
    WAIT_SECONDS,
    accessibility_violations,
    button,
    go,
    heading,
    idle,
    labelled,
    link,
    open_page,
    screenshot,
    text_appears,
    wait,
)
from tests.clients.test_sentry_sdk_ingest import sdk
from tests.conftest import World, make_world
from tests.integration.test_ingest_api import project_dsn


def send_errors(base_url: str, world: World, count: int = 1) -> list[dict]:
    """Raise ``count`` distinct exceptions through the real sentry-sdk; returns their issues once the
    API lists them."""
    dsn, _ = project_dsn(base_url, world)
    names = [f"Checkout{uuid.uuid4().hex[:8]}Error" for _ in range(count)]
    with sdk(dsn, release=None, environment="test"):
        for name in names:
            try:
                raise type(name, (Exception,), {})("the payment failed")
            except Exception as error:
                sentry_sdk.capture_exception(error)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        issues = {i["metadata"].get("type"): i for i in list_issues(base_url, world, "")}
        if all(name in issues for name in names) or time.monotonic() > deadline:
            return [issues[name] for name in names]
        time.sleep(0.5)


def list_issues(base_url: str, world: World, query: str) -> list[dict]:
    response = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/issues/",
        params={"query": query},
        headers=world.headers(),
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def api_issue(base_url: str, world: World, issue_id: str) -> dict:
    response = requests.get(f"{base_url}/api/0/issues/{issue_id}/", headers=world.headers(), timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def sign_in(browser, base_url: str, world: World) -> None:
    """The link ``make run`` prints, opened in a tab signed in to nothing (each test's world has its
    own token): the token in the fragment, kept in session storage."""
    if browser.current_url.startswith(base_url):
        browser.execute_script("sessionStorage.clear()")
    open_page(browser, f"{base_url}/#token={world.token}&org={world.org}")
    heading(browser, f"Issues of {world.project}")
    assert "token" not in browser.current_url
    assert browser.execute_script("return sessionStorage.getItem('watchtower.token')") == world.token


def assert_accessible(browser, axe_source: str) -> None:
    idle(browser)
    assert accessibility_violations(browser, axe_source) == []


def open_issue(browser, base_url: str, world: World, issue: dict) -> None:
    sign_in(browser, base_url, world)
    link(browser, issue["title"]).click()
    heading(browser, issue["title"])
    idle(browser)


def test_the_sign_in_page_takes_a_token_and_shows_the_api_error_for_a_wrong_one(
    browser, base_url, world: World, axe_source: str
) -> None:
    open_page(browser, f"{base_url}/")
    browser.execute_script("sessionStorage.clear()")
    open_page(browser, f"{base_url}/#/signin")
    heading(browser, "Sign in")
    assert_accessible(browser, axe_source)

    labelled(browser, "API token").send_keys("sntryu_" + "0" * 64)
    labelled(browser, "Organization slug").clear()
    labelled(browser, "Organization slug").send_keys(world.org + Keys.ENTER)
    alert = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "main [role=alert]"))
    assert "401" in alert.text

    labelled(browser, "API token").clear()
    labelled(browser, "API token").send_keys(world.token + Keys.ENTER)
    heading(browser, f"Issues of {world.project}")
    assert world.token not in browser.current_url


def test_a_sign_in_link_asks_before_replacing_the_tabs_session(
    browser, base_url, world: World, axe_source: str
) -> None:
    sign_in(browser, base_url, world)
    sender = make_world()
    link_to_sender = f"{base_url}/#token={sender.token}&org={sender.org}"
    open_page(browser, link_to_sender)
    heading(browser, "Replace this tab's sign-in?")
    text_appears(browser, f"This tab is signed in to organization {world.org}.")
    text_appears(browser, f"signs in to organization {sender.org}")
    assert sender.token not in browser.current_url
    assert browser.execute_script("return sessionStorage.getItem('watchtower.token')") == world.token
    assert_accessible(browser, axe_source)
    button(browser, f"Stay signed in to {world.org}").click()  # the choice that keeps things as they are
    heading(browser, f"Issues of {world.project}")
    assert browser.execute_script("return sessionStorage.getItem('watchtower.token')") == world.token

    open_page(browser, link_to_sender)
    button(browser, f"Sign in to organization {sender.org}").click()
    heading(browser, f"Issues of {sender.project}")
    assert browser.execute_script("return sessionStorage.getItem('watchtower.token')") == sender.token

    # the link of the session the tab already has changes nothing and asks nothing
    open_page(browser, link_to_sender)
    heading(browser, f"Issues of {sender.project}")
    assert "token" not in browser.current_url


def test_the_api_docs_page_renders_under_its_content_security_policy(browser, base_url) -> None:
    """Swagger UI runs with only its own inline scripts allowed and lists the API's operations."""
    browser.get(f"{base_url}/api/0/docs")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert any("/api/0/organizations/" in path for path in paths), paths
    refused = [e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert refused == []


def test_an_issue_without_culprit_shows_no_empty_place_in_the_stream(browser, base_url, world: World) -> None:
    """A message without stack trace or transaction names no culprit: its row says its short id and
    status, with nothing between them."""
    dsn, _ = project_dsn(base_url, world)
    message = f"Nightly export {uuid.uuid4().hex[:8]} stalled"
    with sdk(dsn, release=None, environment="test"):
        sentry_sdk.capture_message(message)
    deadline = time.monotonic() + WAIT_SECONDS
    while not (found := [i for i in list_issues(base_url, world, "") if i["title"] == message]):
        assert time.monotonic() < deadline, f"{message} not listed"
        time.sleep(0.5)
    [issue] = found
    assert not issue["culprit"], issue["culprit"]
    sign_in(browser, base_url, world)
    text_appears(browser, issue["shortId"])
    row = link(browser, message).find_element(By.XPATH, "./ancestor::tr")
    assert f"{issue['shortId']} · Unresolved (new)" in row.text, row.text


def test_an_sdk_error_appears_in_the_stream_and_is_resolved_from_its_page(
    browser, base_url, world: World, axe_source: str
) -> None:
    [issue] = send_errors(base_url, world)
    sign_in(browser, base_url, world)
    text_appears(browser, issue["shortId"])
    row = link(browser, issue["title"]).find_element(By.XPATH, "./ancestor::tr")
    assert "New" in row.text and "1" in row.text  # the inbox badge and the event count
    assert_accessible(browser, axe_source)

    link(browser, issue["title"]).click()
    heading(browser, issue["title"])
    text_appears(browser, "Unresolved (new)")
    assert_accessible(browser, axe_source)
    screenshot(browser, "web-issue")

    button(browser, "Resolve").send_keys(Keys.ENTER)
    text_appears(browser, "Resolved.")
    assert browser.find_element(By.ID, "issue-status").text == "Resolved"
    me = requests.get(f"{base_url}/api/0/", headers=world.headers(), timeout=60).json()["user"]
    assert browser.find_element(By.ID, "activity").text.startswith(f"{me['name']} resolved the issue")
    assert api_issue(base_url, world, issue["id"])["status"] == "resolved"


def test_an_activity_type_without_a_name_shows_as_its_number(browser, base_url, world: World) -> None:
    from tests.integration.test_issue_activity import add_unknown_activity

    [issue] = send_errors(base_url, world)
    add_unknown_activity(int(issue["id"]))
    open_issue(browser, base_url, world, issue)
    assert browser.find_element(By.ID, "activity").text.startswith("Watchtower 999")


def test_the_issue_page_shows_the_alert_that_fired(browser, base_url, world: World) -> None:
    rule = {
        "name": "Tell the team",
        "actionMatch": "all",
        "conditions": [{"id": "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"}],
        "actions": [{"id": "sentry.mail.actions.NotifyEmailAction", "targetType": "IssueOwners"}],
    }
    url = f"{base_url}/api/0/projects/{world.org}/{world.project}/rules/"
    assert requests.post(url, json=rule, headers=world.headers(), timeout=60).status_code == 201
    [issue] = send_errors(base_url, world)
    open_issue(browser, base_url, world, issue)
    assert browser.find_element(By.ID, "activity").text.startswith(
        "Watchtower fired the alert rule “Tell the team”"
    )


def test_ignore_for_30_minutes_with_the_keyboard(browser, base_url, world: World) -> None:
    [issue] = send_errors(base_url, world)
    open_issue(browser, base_url, world, issue)
    browser.find_element(By.XPATH, "//summary[normalize-space(.)='Ignore…']").send_keys(Keys.ENTER)
    duration = labelled(browser, "Duration")
    assert duration.find_element(By.CSS_SELECTOR, "option:checked").text == "30 minutes"
    before = datetime.now(UTC)
    button(browser, "Ignore").send_keys(Keys.ENTER)
    text_appears(browser, "Ignored.")
    assert browser.find_element(By.ID, "issue-status").text.startswith("Ignored until")

    answer = api_issue(base_url, world, issue["id"])
    assert answer["status"] == "ignored" and answer["substatus"] == "archived_until_condition_met"
    until = datetime.fromisoformat(answer["statusDetails"]["ignoreUntil"].replace("Z", "+00:00"))
    assert before + timedelta(minutes=29) < until < datetime.now(UTC) + timedelta(minutes=31)


def test_assign_to_a_team(browser, base_url, world: World) -> None:
    [issue] = send_errors(base_url, world)
    open_issue(browser, base_url, world, issue)
    labelled(browser, "Assignee").send_keys(f"#{world.team}")
    button(browser, "Assign").send_keys(Keys.ENTER)
    text_appears(browser, "Assignee updated.")
    text_appears(browser, f"#{world.team}")

    assigned = api_issue(base_url, world, issue["id"])["assignedTo"]
    assert assigned["type"] == "team" and assigned["name"] == world.team


def test_a_400_from_the_api_is_shown_next_to_its_field(browser, base_url, world: World) -> None:
    [issue] = send_errors(base_url, world)
    open_issue(browser, base_url, world, issue)
    browser.find_element(By.XPATH, "//summary[normalize-space(.)='Ignore…']").send_keys(Keys.ENTER)
    browser.find_element(By.XPATH, "//label[normalize-space(.)='Until it happens N more times']").click()
    labelled(browser, "Events").send_keys("-3")
    button(browser, "Ignore").send_keys(Keys.ENTER)
    slot = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-error-for=ignoreCount]"))
    wait(browser, lambda d: slot.text)
    assert slot.text == "Ensure this value is greater than or equal to 0."
    assert api_issue(base_url, world, issue["id"])["status"] == "unresolved"


def test_bulk_resolve_three_issues_from_the_stream(browser, base_url, world: World, axe_source: str) -> None:
    issues = send_errors(base_url, world, count=3)
    sign_in(browser, base_url, world)
    for issue in issues:
        text_appears(browser, issue["shortId"])
    screenshot(browser, "web-stream")
    for issue in issues:
        browser.find_element(By.CSS_SELECTOR, f"input[aria-label='Select {issue['shortId']}']").send_keys(
            Keys.SPACE
        )
    text_appears(browser, "3 selected")
    button(browser, "Resolve").send_keys(Keys.ENTER)
    text_appears(browser, "Resolve: done for 3 issues.")

    for issue in issues:
        assert api_issue(base_url, world, issue["id"])["status"] == "resolved"
        assert issue["shortId"] not in browser.find_element(By.ID, "main").text  # gone from is:unresolved
    assert_accessible(browser, axe_source)


def test_a_release_with_a_commit_that_fixes_an_issue_shows_it_resolved(
    browser, base_url, world: World, axe_source: str
) -> None:
    [issue] = send_errors(base_url, world)
    version = f"shop@{uuid.uuid4().hex[:6]}"
    releases = f"{base_url}/api/0/organizations/{world.org}/releases/"
    created = requests.post(
        releases, json={"version": version, "projects": [world.project]}, headers=world.headers(), timeout=60
    )
    assert created.status_code == 201, created.text
    commit = {
        "id": uuid.uuid4().hex + "abcdef01",
        "repository": "acme/shop",
        "message": f"Handle declined cards\n\nFixes {issue['shortId']}",
        "author_name": "Ada Lovelace",
        "author_email": "ada@example.com",
    }
    updated = requests.put(
        f"{releases}{version}/", json={"commits": [commit]}, headers=world.headers(), timeout=60
    )
    assert updated.status_code == 200, updated.text

    sign_in(browser, base_url, world)
    go(browser, f"#/{world.org}/{world.project}/releases")
    heading(browser, f"Releases of {world.project}")
    assert_accessible(browser, axe_source)
    link(browser, version).send_keys(Keys.ENTER)
    heading(browser, f"Release {version}")
    text_appears(browser, "Handle declined cards")
    text_appears(browser, "Ada Lovelace")
    fixed = browser.find_element(By.ID, "resolved-issues").text
    assert issue["shortId"] in fixed and f"Resolved in {version}" in fixed
    assert_accessible(browser, axe_source)
    screenshot(browser, "web-release")

    button(browser, "Finalize").send_keys(Keys.ENTER)
    text_appears(browser, "Finalized.")
    answer = requests.get(f"{releases}{version}/", headers=world.headers(), timeout=60).json()
    assert answer["dateReleased"] is not None
    resolved = api_issue(base_url, world, issue["id"])
    assert resolved["status"] == "resolved" and resolved["statusDetails"]["inRelease"] == version


def test_the_latest_events_stack_trace_shows_in_app_frames_first(
    browser, base_url, world: World, axe_source: str
) -> None:
    [issue] = send_errors(base_url, world)
    open_issue(browser, base_url, world, issue)
    section = wait(browser, lambda d: d.find_element(By.ID, "latest-event"))
    assert f"{issue['metadata']['type']}: the payment failed" in section.text
    # The raising frame is in app, listed first and open on its source line.
    first = section.find_element(By.CSS_SELECTOR, ".app-frames details.frame")
    assert first.get_attribute("open") is not None
    assert "send_errors" in first.find_element(By.TAG_NAME, "summary").text
    current = first.find_element(By.CSS_SELECTOR, "ol.source li.current")
    assert "raise type(name" in current.text
    # The full stack trace opens with the keyboard and holds every frame, the in-app ones included.
    summary = section.find_element(By.CSS_SELECTOR, "details.full-trace > summary")
    summary.send_keys(Keys.ENTER)
    full = section.find_element(By.CSS_SELECTOR, "details.full-trace")
    wait(browser, lambda d: full.get_attribute("open") is not None)
    frames = full.find_elements(By.CSS_SELECTOR, "details.frame")
    in_app = section.find_elements(By.CSS_SELECTOR, ".app-frames details.frame")
    plural = "" if len(frames) == 1 else "s"
    assert f"({len(frames)} frame{plural})" in summary.text and len(frames) >= len(in_app) >= 1
    event = requests.get(
        f"{base_url}/api/0/issues/{issue['id']}/events/latest/", headers=world.headers(), timeout=60
    ).json()
    tags = browser.find_element(By.CSS_SELECTOR, "dl.tags").text
    assert all(tag["value"] in tags for tag in event["tags"])
    assert_accessible(browser, axe_source)


def test_the_stream_sorts_by_events_with_the_sort_control(
    browser, base_url, world: World, axe_source: str
) -> None:
    from shared.storage.issues import Group

    quiet, busy, middle = send_errors(base_url, world, count=3)
    for issue, events in ((busy, 40), (middle, 7)):
        Group(*Group.key(int(issue["id"]))).update(actions=[Group.times_seen.set(events)])
    sign_in(browser, base_url, world)
    labelled(browser, "Sort by").send_keys("Events")
    wait(browser, lambda d: "sort=freq" in d.current_url)
    idle(browser)
    rows = browser.find_elements(By.CSS_SELECTOR, "main tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td a").text for r in rows] == [
        busy["title"],
        middle["title"],
        quiet["title"],
    ]
    assert "most events first" in browser.find_element(By.CSS_SELECTOR, "main caption").get_attribute(
        "textContent"
    )
    # The API answers the same order.
    api_order = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/issues/",
        params={"sort": "freq"},
        headers=world.headers(),
        timeout=60,
    ).json()
    assert [i["id"] for i in api_order] == [busy["id"], middle["id"], quiet["id"]]
    assert_accessible(browser, axe_source)


def test_assign_to_a_user_of_the_project(browser, base_url, world: World) -> None:
    from shared.accounts.organizations import add_member, find_member, find_organization, join_team
    from shared.storage.accounts import Project
    from tests.conftest import make_user

    org = find_organization(world.org)
    project = Project.get(*Project.key(org.id, world.project))
    colleague_id, _ = make_user()
    add_member(org, colleague_id, "member")
    join_team(find_member(org.id, colleague_id), project.teams[0].id)
    members = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/members/", headers=world.headers(), timeout=60
    ).json()
    colleague = next(m for m in members if m["id"] == str(colleague_id))

    [issue] = send_errors(base_url, world)
    open_issue(browser, base_url, world, issue)
    picker = labelled(browser, "Assignee")
    offered = [o.text for o in picker.find_elements(By.TAG_NAME, "option")]
    assert f"{colleague['name']} ({colleague['email']})" in offered and f"#{world.team}" in offered
    picker.send_keys(colleague["name"])
    button(browser, "Assign").send_keys(Keys.ENTER)
    text_appears(browser, "Assignee updated.")

    assigned = api_issue(base_url, world, issue["id"])["assignedTo"]
    assert assigned == {
        "type": "user",
        "id": str(colleague_id),
        "name": colleague["user"]["username"],
        "email": colleague["email"],
    }


def test_a_release_page_lists_its_source_maps(browser, base_url, world: World, axe_source: str) -> None:
    from tests.integration.test_artifact_uploads import small_bundle, upload_bundle

    created = requests.post(
        f"{base_url}/api/0/organizations/{world.org}/releases/",
        json={"version": "1.0", "projects": [world.project]},
        headers=world.headers(),
        timeout=60,
    )
    assert created.status_code == 201, created.text
    checksum = upload_bundle(base_url, world, small_bundle("~/app.js"))
    sign_in(browser, base_url, world)
    go(browser, f"#/{world.org}/releases/1.0?project={world.project}")
    heading(browser, "Release 1.0")
    listed = wait(browser, lambda d: d.find_element(By.ID, "artifact-bundles")).text
    assert checksum[:12] in listed and "1 files" in listed
    assert_accessible(browser, axe_source)


def test_the_environment_selector_and_the_issue_pages_tag_facets(
    browser, base_url, world: World, axe_source: str
) -> None:
    [issue] = send_errors(base_url, world)  # sent in the environment "test"
    sign_in(browser, base_url, world)
    labelled(browser, "Environment").send_keys("test")
    wait(browser, lambda d: "environment=test" in d.current_url)
    idle(browser)
    link(browser, issue["title"]).click()
    heading(browser, issue["title"])
    idle(browser)
    facets = browser.find_element(By.ID, "tags").text
    assert "Environment\ntest: 100 %" in facets and "Level\nerror: 100 %" in facets
    assert_accessible(browser, axe_source)

    sign_in(browser, base_url, world)
    search = labelled(browser, "Search")
    search.clear()
    search.send_keys("times_seen:lots", Keys.ENTER)
    text_appears(browser, "times_seen: Invalid number: lots.")
