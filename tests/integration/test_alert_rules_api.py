"""The issue alert rules API as Sentry's: a new project has Sentry's default rule, rules are created,
read, replaced and deleted with Sentry's ids and fields, a bad body answers Sentry's 400 with every
field's message and stores nothing, and the webhooks plugin is configured as Sentry's legacy plugin."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.conftest import World

FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"
FREQUENCY = "sentry.rules.conditions.event_frequency.EventFrequencyCondition"
LEVEL = "sentry.rules.filters.level.LevelFilter"
EMAIL = "sentry.mail.actions.NotifyEmailAction"
SERVICE = "sentry.rules.actions.notify_event_service.NotifyEventServiceAction"


def rules_url(base_url: str, world: World) -> str:
    return f"{base_url}/api/0/projects/{world.org}/{world.project}/rules/"


def rule_body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Errors to the hook",
        "actionMatch": "all",
        "filterMatch": "all",
        "frequency": 30,
        "conditions": [{"id": FIRST_SEEN}],
        "filters": [{"id": LEVEL, "match": "gte", "level": "40"}],
        "actions": [{"id": SERVICE, "service": "webhooks"}],
        **fields,
    }


def test_a_project_created_through_the_api_has_sentrys_default_rule(base_url: str, world: World) -> None:
    projects = f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/"
    created = requests.post(projects, json={"name": "Alerted"}, headers=world.headers())
    assert created.status_code == 201, created.text
    alerted = World(world.org, world.team, created.json()["slug"], world.owner_id, world.token)
    response = requests.get(rules_url(base_url, alerted), headers=world.headers())
    assert response.status_code == 200, response.text
    [rule] = response.json()
    assert rule["name"] == "Send a notification for new issues"
    assert rule["conditions"] == [{"id": FIRST_SEEN, "name": "A new issue is created"}]
    assert rule["actions"] == [
        {
            "id": EMAIL,
            "targetType": "IssueOwners",
            "fallthroughType": "ActiveMembers",
            "name": "Send a notification to IssueOwners",
        }
    ]
    assert (rule["actionMatch"], rule["frequency"], rule["projects"]) == ("all", 30, [alerted.project])
    # Sentry's ``default_rules: false`` leaves it out
    bare = requests.post(projects, json={"name": "Bare", "default_rules": False}, headers=world.headers())
    assert bare.status_code == 201, bare.text
    bare_world = World(world.org, world.team, bare.json()["slug"], world.owner_id, world.token)
    assert requests.get(rules_url(base_url, bare_world), headers=world.headers()).json() == []


def test_rules_are_created_read_replaced_and_deleted(base_url: str, world: World) -> None:
    url = rules_url(base_url, world)
    created = requests.post(url, json=rule_body(), headers=world.headers())
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["id"].isdigit()
    assert rule["filters"] == [
        {"id": LEVEL, "match": "gte", "level": "40", "name": "The event's level is gte error"}
    ]
    assert rule["createdBy"]["id"] == world.owner_id
    details = f"{url}{rule['id']}/"
    assert requests.get(details, headers=world.headers()).json() == rule
    changed = rule_body(
        name="Busy issues",
        actionMatch="any",
        conditions=[{"id": FREQUENCY, "value": 100, "interval": "1h"}],
        frequency=60,
    )
    replaced = requests.put(details, json=changed, headers=world.headers())
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["conditions"] == [
        {
            "id": FREQUENCY,
            "value": 100,
            "interval": "1h",
            "comparisonType": "count",
            "name": "The issue is seen more than 100 times in 1h",
        }
    ]
    assert (replaced.json()["name"], replaced.json()["frequency"]) == ("Busy issues", 60)
    assert [r["name"] for r in requests.get(url, headers=world.headers()).json()] == ["Busy issues"]
    assert requests.delete(details, headers=world.headers()).status_code == 202
    missing = requests.get(details, headers=world.headers())
    assert (missing.status_code, missing.json()) == (404, {"detail": "The requested resource does not exist"})
    assert requests.get(url, headers=world.headers()).json() == []


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"name": None}, {"name": ["This field is required."]}),
        ({"name": "x" * 65}, {"name": ["Ensure this field has no more than 64 characters."]}),
        ({"actionMatch": "most"}, {"actionMatch": ['"most" is not a valid choice.']}),
        ({"frequency": 1}, {"frequency": ["Ensure this value is greater than or equal to 5."]}),
        ({"frequency": 50000}, {"frequency": ["Ensure this value is less than or equal to 43200."]}),
        ({"frequency": "often"}, {"frequency": ["A valid integer is required."]}),
        ({"actions": []}, {"actions": ["Must select an action"]}),
        ({"conditions": []}, {"conditions": ["Must select a condition"]}),
        ({"conditions": ["first"]}, {"conditions": ["Incorrect type. Expected a mapping, but got str"]}),
        ({"conditions": [{"value": 1}]}, {"conditions": ["Missing attribute 'id'"]}),
        (
            {"conditions": [{"id": "sentry.rules.Nope"}]},
            {"conditions": ["Invalid node. Could not find 'sentry.rules.Nope'"]},
        ),
        ({"filters": [{"id": FIRST_SEEN}]}, {"filters": [f"Invalid node. Could not find '{FIRST_SEEN}'"]}),
        (
            {"conditions": [{"id": FREQUENCY, "interval": "1h"}]},
            {"conditions": ["Ensure at least one action is enabled and all required fields are filled in."]},
        ),
        (
            {"conditions": [{"id": FREQUENCY, "value": "many", "interval": "1h"}]},
            {"conditions": ["Enter a whole number."]},
        ),
        (
            {"conditions": [{"id": FREQUENCY, "value": 5, "interval": "2h"}]},
            {"conditions": ["Select a valid choice. 2h is not one of the available choices."]},
        ),
        (
            {"conditions": [{"id": FREQUENCY, "value": 5, "interval": "1h", "comparisonType": "percent"}]},
            {"conditions": ["Only the count comparison is supported."]},
        ),
        (
            {"filterMatch": None},
            {"filterMatch": ["Must select a filter match (all, any, none) if filters are supplied"]},
        ),
        (
            {"owner": "robot:1"},
            {"owner": ["Could not parse actor. Format should be `type:id` where type is `team` or `user`."]},
        ),
    ],
)
def test_a_bad_rule_answers_sentrys_400_and_stores_nothing(
    base_url: str, world: World, change: dict[str, Any], errors: dict[str, Any]
) -> None:
    url = rules_url(base_url, world)
    response = requests.post(url, json=rule_body(**change), headers=world.headers())
    assert (response.status_code, response.json()) == (400, errors)
    assert requests.get(url, headers=world.headers()).json() == []
    default = requests.post(url, json=rule_body(), headers=world.headers()).json()
    replaced = requests.put(f"{url}{default['id']}/", json=rule_body(**change), headers=world.headers())
    assert (replaced.status_code, replaced.json()) == (400, errors)
    assert requests.get(url, headers=world.headers()).json() == [default]


def test_the_webhooks_plugin_is_configured_as_sentrys_legacy_plugin(base_url: str, world: World) -> None:
    url = f"{base_url}/api/0/projects/{world.org}/{world.project}/plugins/webhooks/"
    before = requests.get(url, headers=world.headers())
    assert before.status_code == 200, before.text
    assert (before.json()["enabled"], before.json()["config"][0]["name"]) == (False, "urls")
    saved = requests.put(
        url, json={"urls": "https://example.com/a\n https://example.com/b "}, headers=world.headers()
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["enabled"] is True
    assert saved.json()["config"][0]["value"] == "https://example.com/a\nhttps://example.com/b"
    bad = requests.put(url, json={"urls": "ftp://example.com/x"}, headers=world.headers())
    assert (bad.status_code, bad.json()) == (
        400,
        {"errors": {"urls": "ftp://example.com/x is not a valid URL."}},
    )
    many = requests.put(
        url, json={"urls": "\n".join(f"https://e.com/{i}" for i in range(11))}, headers=world.headers()
    )
    assert (many.status_code, many.json()) == (400, {"errors": {"urls": "Ensure at most 10 URLs."}})
    assert requests.delete(url, headers=world.headers()).status_code == 204
    after = requests.get(url, headers=world.headers()).json()
    assert (after["enabled"], after["config"][0]["value"]) == (
        False,
        "https://example.com/a\nhttps://example.com/b",
    )
    unknown = requests.get(url.replace("webhooks", "jira"), headers=world.headers())
    assert unknown.status_code == 404
