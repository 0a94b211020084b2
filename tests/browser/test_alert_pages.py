"""The alert rule pages in a real browser, on the local API: a project's rules listed, a rule
created with conditions, filters and actions picked from the form, the API's 400 field messages
shown next to the part they name (nothing stored), the rule edited and deleted; the webhooks
plugin set from the list; a rule's history after a real sentry-sdk event fired it. Every page
passes axe-core without serious or critical violations."""

from __future__ import annotations

import requests
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.browser.pages import button, go, heading, idle, labelled, link, screenshot, text_appears, wait
from tests.browser.test_web_pages import assert_accessible, send_errors, sign_in
from tests.conftest import World

FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"
FREQUENCY = "sentry.rules.conditions.event_frequency.EventFrequencyCondition"
LEVEL = "sentry.rules.filters.level.LevelFilter"
TAGGED = "sentry.rules.filters.tagged_event.TaggedEventFilter"
EMAIL = "sentry.mail.actions.NotifyEmailAction"
SERVICE = "sentry.rules.actions.notify_event_service.NotifyEventServiceAction"
REQUIRED = "Ensure at least one action is enabled and all required fields are filled in."


def _rules_url(base_url: str, world: World) -> str:
    return f"{base_url}/api/0/projects/{world.org}/{world.project}/rules/"


def _rules(base_url: str, world: World) -> list[dict]:
    answer = requests.get(_rules_url(base_url, world), headers=world.headers(), timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _plain(nodes: list[dict]) -> list[dict]:
    """Nodes as stored, without the sentence the API adds (``name``)."""
    return [{k: v for k, v in node.items() if k != "name"} for node in nodes]


def _shows_error(browser, name: str, message: str) -> None:
    """The form shows ``message`` in the error slot of ``name`` (after the API answered)."""
    slot = browser.find_element(By.CSS_SELECTOR, f"[data-error-for={name}]")
    try:
        wait(browser, lambda d: slot.text == message)
    except TimeoutException:
        assert slot.text == message, name


def _add(browser, kind: str, label: str) -> None:
    """Pick a node in the list's "Add a …" select and press its button, with the keyboard."""
    Select(browser.find_element(By.ID, f"add-{kind}")).select_by_visible_text(label)
    singular = {"conditions": "condition", "filters": "filter", "actions": "action"}[kind]
    button(browser, f"Add {singular}").send_keys(Keys.ENTER)


def _in_node(browser, kind: str, index: int, label: str):
    """The control labelled ``label`` in the ``index``-th node of the list (0-based)."""
    row = browser.find_elements(By.CSS_SELECTOR, f"#{kind}-list > li")[index]
    found = row.find_element(By.XPATH, f".//label[normalize-space(.)='{label}']")
    return row.find_element(By.ID, found.get_attribute("for"))


def test_create_edit_and_delete_an_alert_rule(browser, base_url, world: World, axe_source: str) -> None:
    send_errors(base_url, world)  # the project's "test" environment, from a real event
    sign_in(browser, base_url, world)
    browser.find_element(By.XPATH, "//nav[@id='nav']//a[normalize-space(.)='Alerts']").click()
    heading(browser, f"Alert rules of {world.project}")
    text_appears(browser, "No alert rules")
    assert_accessible(browser, axe_source)

    link(browser, "Create alert rule").click()
    heading(browser, "New alert rule")
    assert_accessible(browser, axe_source)
    button(browser, "Save rule").send_keys(Keys.ENTER)
    _shows_error(browser, "name", "This field may not be blank.")
    _shows_error(browser, "conditions", "Must select a condition")
    _shows_error(browser, "actions", "Must select an action")
    assert _rules(base_url, world) == []

    labelled(browser, "Rule name").send_keys("Checkout is on fire")
    Select(labelled(browser, "Environment")).select_by_visible_text("test")
    Select(labelled(browser, "These conditions must match")).select_by_visible_text("any")
    _add(browser, "conditions", "A new issue is created")
    _add(browser, "conditions", "The issue is seen more than N times in an interval")
    _add(browser, "filters", "The event's level")
    _add(browser, "filters", "The event's tags")
    _add(browser, "actions", "Send an email")
    _add(browser, "actions", "Send a notification via a service")
    Select(browser.find_element(By.NAME, "frequency")).select_by_visible_text("one hour")
    # the frequency's count left empty: the API's message lands next to the conditions
    button(browser, "Save rule").send_keys(Keys.ENTER)
    _shows_error(browser, "conditions", REQUIRED)
    assert _rules(base_url, world) == []

    _in_node(browser, "conditions", 1, "Events").send_keys("100")
    Select(_in_node(browser, "conditions", 1, "In")).select_by_visible_text("one hour")
    Select(_in_node(browser, "filters", 0, "Comparison")).select_by_visible_text("greater than or equal to")
    Select(_in_node(browser, "filters", 0, "Level")).select_by_visible_text("error")
    _in_node(browser, "filters", 1, "Tag").send_keys("browser")
    _in_node(browser, "filters", 1, "Value").send_keys("Chrome")
    Select(_in_node(browser, "actions", 0, "Recipient")).select_by_visible_text("a member")
    assert _in_node(browser, "actions", 0, "Team or member").tag_name == "select"
    Select(_in_node(browser, "actions", 1, "Service")).select_by_visible_text("WebHooks")
    screenshot(browser, "web-alert-rule")
    button(browser, "Save rule").send_keys(Keys.ENTER)
    heading(browser, f"Alert rules of {world.project}")
    text_appears(browser, "Rule created.")
    text_appears(browser, "Checkout is on fire")

    [rule] = _rules(base_url, world)
    strip = [{k: v for k, v in node.items() if k != "name"} for node in rule["conditions"]]
    assert strip == [
        {"id": FIRST_SEEN},
        {"id": FREQUENCY, "value": 100, "interval": "1h", "comparisonType": "count"},
    ]
    assert [{k: v for k, v in n.items() if k != "name"} for n in rule["filters"]] == [
        {"id": LEVEL, "match": "gte", "level": "40"},
        {"id": TAGGED, "key": "browser", "match": "eq", "value": "Chrome"},
    ]
    assert _plain(rule["actions"]) == [
        {"id": EMAIL, "targetType": "Member", "targetIdentifier": world.owner_id},
        {"id": SERVICE, "service": "webhooks"},
    ]
    assert (rule["actionMatch"], rule["filterMatch"], rule["frequency"], rule["environment"]) == (
        "any",
        "all",
        60,
        "test",
    )

    link(browser, "Checkout is on fire").click()
    heading(browser, "Edit alert rule Checkout is on fire")
    assert labelled(browser, "Rule name").get_attribute("value") == "Checkout is on fire"
    assert _in_node(browser, "conditions", 1, "Events").get_attribute("value") == "100"
    assert_accessible(browser, axe_source)
    name = labelled(browser, "Rule name")
    name.clear()
    name.send_keys("Checkout alert")
    browser.find_element(
        By.CSS_SELECTOR,
        "button[aria-label='Remove condition: The issue is seen more than N times in an interval']",
    ).send_keys(Keys.ENTER)
    Select(_in_node(browser, "filters", 1, "Match")).select_by_visible_text("is set")
    assert (
        len(browser.find_elements(By.CSS_SELECTOR, "#filters-list > li:nth-child(2) input[name=value]")) == 0
    )
    button(browser, "Save rule").send_keys(Keys.ENTER)
    text_appears(browser, "Rule saved.")
    [rule] = _rules(base_url, world)
    assert rule["name"] == "Checkout alert"
    assert [n["id"] for n in rule["conditions"]] == [FIRST_SEEN]
    assert _plain(rule["filters"])[1] == {"id": TAGGED, "key": "browser", "match": "is"}

    link(browser, "Checkout alert").click()
    heading(browser, "Edit alert rule Checkout alert")
    browser.find_element(By.XPATH, "//summary[normalize-space(.)='Delete…']").send_keys(Keys.ENTER)
    button(browser, "Delete this rule").send_keys(Keys.ENTER)
    heading(browser, f"Alert rules of {world.project}")
    text_appears(browser, "Rule “Checkout alert” deleted.")
    assert _rules(base_url, world) == []
    missing = requests.get(f"{_rules_url(base_url, world)}{rule['id']}/", headers=world.headers(), timeout=60)
    assert missing.status_code == 404


def test_the_webhooks_plugin_is_set_from_the_rules_page(browser, base_url, world: World) -> None:
    sign_in(browser, base_url, world)
    go(browser, f"#/{world.org}/{world.project}/alerts")
    heading(browser, f"Alert rules of {world.project}")
    urls = labelled(browser, "WebHooks: Callback URLs")
    urls.send_keys("not a url")
    button(browser, "Save WebHooks").send_keys(Keys.ENTER)
    _shows_error(browser, "urls", "not a url is not a valid URL.")
    urls.clear()
    urls.send_keys("https://hooks.example.com/watchtower")
    button(browser, "Save WebHooks").send_keys(Keys.ENTER)
    text_appears(browser, "WebHooks saved.")
    assert browser.find_element(By.CSS_SELECTOR, "[data-error-for=urls]").text == ""
    plugin = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/plugins/webhooks/",
        headers=world.headers(),
        timeout=60,
    ).json()
    assert plugin["enabled"] is True
    assert plugin["config"][0]["value"] == "https://hooks.example.com/watchtower"


def test_a_rules_history_lists_the_issues_it_fired_for(
    browser, base_url, world: World, axe_source: str
) -> None:
    body = {
        "name": "Tell the owner",
        "actionMatch": "all",
        "conditions": [{"id": FIRST_SEEN}],
        "actions": [{"id": EMAIL, "targetType": "IssueOwners"}],
    }
    created = requests.post(_rules_url(base_url, world), json=body, headers=world.headers(), timeout=60)
    assert created.status_code == 201, created.text
    first, second = send_errors(base_url, world, count=2)
    sign_in(browser, base_url, world)
    go(browser, f"#/{world.org}/{world.project}/alerts")
    link(browser, "History").click()
    heading(browser, "History of Tell the owner")
    idle(browser)
    rows = browser.find_elements(By.CSS_SELECTOR, "#rule-history tbody tr")
    found = {
        row.find_element(By.TAG_NAME, "th").text: row.find_elements(By.TAG_NAME, "td")[0].text for row in rows
    }
    assert found == {
        f"{first['shortId']}: {first['title']}": "1",
        f"{second['shortId']}: {second['title']}": "1",
    }
    assert_accessible(browser, axe_source)
    link(browser, first["shortId"]).click()
    heading(browser, first["title"])
    assert browser.find_element(By.ID, "activity").text.startswith(
        "Watchtower fired the alert rule “Tell the owner”"
    )
