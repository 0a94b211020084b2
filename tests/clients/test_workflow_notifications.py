"""Workflow and deploy email end to end: issue updates through the local API, events from the real
sentry-sdk and deploys through the releases API queue their notifications; the notifier mails the
people involved through SES (moto's, which writes each message as an ``.eml`` file). The actor is
never mailed, a user's ``never`` turns a kind off, and each notification reaches a person once."""

from __future__ import annotations

import json
import time
import uuid
from email.message import Message

import pytest
import requests

from local.background import queued_messages
from local.lambda_pool import LocalLambda
from local.metering import count_requests
from shared.issues.enums import ActivityType
from shared.notifications.queue import notice
from shared.storage.accounts import User
from shared.storage.issues import Activity
from tests.clients.test_alert_delivery import (
    DELIVERY_SECONDS,
    NOTIFICATIONS,
    _error,
    _mail,
    notifier,  # noqa: F401 (the fixture)
)
from tests.clients.test_sentry_sdk_ingest import sdk
from tests.conftest import World, events_queue_record, wait_until
from tests.integration.test_ingest_api import project_dsn
from tests.integration.test_issue_update import IssuesApi, rows


@pytest.fixture
def api(http: requests.Session, base_url: str, world: World) -> IssuesApi:
    return IssuesApi(http, base_url, world)


def _email(user_id: int) -> str:
    return User.get(*User.key(user_id)).email


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def _settled() -> None:
    """The notifications queue drained, and long enough that a second message would have come."""
    wait_until(lambda: queued_messages(NOTIFICATIONS) == 0, DELIVERY_SECONDS, "an empty notifications queue")
    time.sleep(1.5)


def _mailed(to: str, count: int = 1) -> list[Message]:
    wait_until(lambda: len(_mail(to)) >= count, DELIVERY_SECONDS, f"{count} email to {to}")
    _settled()
    return _mail(to)


def _set(api: IssuesApi, token: str, user_id: int, type: str, value: str) -> requests.Response:
    body = {"type": type, "scopeType": "user", "scopeIdentifier": str(user_id), "value": value}
    return api.http.put(
        f"{api.base_url}/api/0/users/me/notification-settings/", json=body, headers=api.world.headers(token)
    )


def test_assigning_mails_the_assignee_not_the_actor(api: IssuesApi, notifier: None) -> None:  # noqa: F811
    member_id, _ = api.member()
    group = api.group(title="KeyError: 'cart'")
    api.ok(group, {"assignedTo": str(member_id)})
    [message] = _mailed(_email(member_id))
    issue = api.get(group).json()
    assert message["Subject"] == f"[Watchtower] {issue['shortId']} - KeyError: 'cart'"
    owner = User.get(*User.key(api.world.owner_id))
    assert _body(message).startswith(f"{owner.name or owner.email} assigned {issue['shortId']} to you")
    assert f"/issues/{group.id}/" in _body(message)
    assert _mail(_email(api.world.owner_id)) == []  # the actor


def test_assigning_to_a_team_mails_its_members_not_the_actor(api: IssuesApi, notifier: None) -> None:  # noqa: F811
    first_id, _ = api.member()
    second_id, _ = api.member()
    outsider_id, _ = api.member(join=False)
    team = api.project.teams[0]
    group = api.group(title="ValueError: team")
    api.ok(group, {"assignedTo": f"team:{team.id}"})
    short_id = api.get(group).json()["shortId"]
    for member_id in (first_id, second_id):
        [message] = _mailed(_email(member_id))
        assert message["Subject"] == f"[Watchtower] {short_id} - ValueError: team"
        assert f"assigned {short_id} to #{team.slug}" in _body(message)
    assert _mail(_email(outsider_id)) == []  # not on the team
    assert _mail(_email(api.world.owner_id)) == []  # the actor


def test_resolving_and_a_regression_mail_the_subscribers(
    api: IssuesApi,
    base_url: str,
    world: World,
    notifier: None,  # noqa: F811
) -> None:
    watcher_id, watcher_token = api.member()
    bystander_id, _ = api.member()
    dsn, _ = project_dsn(base_url, world)
    with sdk(dsn, release=None):
        _error("checkout")
    [issue] = requests.get(
        f"{base_url}/api/0/projects/{world.org}/{world.project}/issues/", headers=world.headers()
    ).json()
    subscribed = api.put(issue["id"], {"isSubscribed": True}, watcher_token)
    assert subscribed.status_code == 200, subscribed.text
    resolved = api.put(issue["id"], {"status": "resolved"})
    assert resolved.status_code == 200, resolved.text
    [message] = _mailed(_email(watcher_id))
    assert message["Subject"] == f"[Watchtower] {issue['shortId']} - {issue['title']}"
    assert "as resolved" in _body(message).splitlines()[0]

    with sdk(dsn, release=None):  # the same error again: a regression, found by the processor
        _error("checkout")
        _error("checkout")
    firsts = [_body(m).splitlines()[0] for m in _mailed(_email(watcher_id), 2)]
    regressed = [line for line in firsts if "regression" in line]
    assert len(regressed) == 1 and regressed[0].startswith(
        f"Watchtower marked {issue['shortId']} as a regression"
    ), firsts
    # the owner resolved it (and so is subscribed): the regression is theirs to hear of
    [owners] = _mailed(_email(world.owner_id))
    assert "as a regression" in _body(owners)
    assert _mail(_email(bystander_id)) == []  # a member not subscribed


def test_never_turns_workflow_email_off(api: IssuesApi, notifier: None) -> None:  # noqa: F811
    member_id, token = api.member()
    answer = _set(api, token, member_id, "workflow", "never")
    assert answer.status_code == 201, answer.text
    group = api.group()
    api.ok(group, {"assignedTo": str(member_id)})
    api.ok(group, {"status": "resolved"})
    _settled()
    assert _mail(_email(member_id)) == []
    # back to the default: the next change is mailed again
    assert _set(api, token, member_id, "workflow", "subscribe_only").status_code == 201
    api.ok(group, {"status": "unresolved"})
    api.ok(group, {"status": "resolved"})
    [message] = _mailed(_email(member_id))
    assert "as resolved" in _body(message)


def test_always_mails_every_issue_of_the_project(api: IssuesApi, notifier: None) -> None:  # noqa: F811
    member_id, token = api.member()
    assert _set(api, token, member_id, "workflow", "always").status_code == 201
    group = api.group()
    api.ok(group, {"status": "ignored"})
    [message] = _mailed(_email(member_id))
    assert "archived" in _body(message).splitlines()[0]


def test_a_deploy_mails_the_authors_of_the_release_commits(
    api: IssuesApi,
    base_url: str,
    world: World,
    notifier: None,  # noqa: F811
) -> None:
    author_id, _ = api.member()
    silent_id, silent_token = api.member()
    other_id, _ = api.member()
    assert _set(api, silent_token, silent_id, "deploy", "never").status_code == 201
    version = f"web@{uuid.uuid4().hex[:8]}"
    commits = [
        {"id": "a" * 40, "repository": "acme/web", "author_email": _email(author_id), "author_name": "A"},
        {"id": "b" * 40, "repository": "acme/web", "author_email": _email(silent_id), "author_name": "S"},
        {"id": "c" * 40, "repository": "acme/web", "author_email": "stranger@example.org"},
    ]
    releases = f"{base_url}/api/0/organizations/{world.org}/releases/"
    created = requests.post(
        releases,
        json={"version": version, "projects": [world.project], "commits": commits},
        headers=world.headers(),
    )
    assert created.status_code == 201, created.text
    deployed = requests.post(
        f"{releases}{version}/deploys/", json={"environment": "production"}, headers=world.headers()
    )
    assert deployed.status_code == 201, deployed.text
    [message] = _mailed(_email(author_id))
    assert message["Subject"] == f"[Watchtower] Deployed version {version} to production"
    assert "your commits" in _body(message)
    for user_id in (silent_id, other_id, world.owner_id):
        assert _mail(_email(user_id)) == []


def test_notification_settings_api(api: IssuesApi, base_url: str, world: World) -> None:
    member_id, token = api.member()
    url = f"{base_url}/api/0/users/me/notification-settings/"
    headers = world.headers(token)
    assert requests.get(url, headers=headers).json() == []
    answer = _set(api, token, member_id, "deploy", "always")
    assert answer.status_code == 201
    row = answer.json()
    assert {k: row[k] for k in ("scopeType", "scopeIdentifier", "type", "value", "user_id", "team_id")} == {
        "scopeType": "user",
        "scopeIdentifier": str(member_id),
        "type": "deploy",
        "value": "always",
        "user_id": str(member_id),
        "team_id": None,
    }
    assert requests.get(
        f"{base_url}/api/0/users/{member_id}/notification-settings/", headers=headers
    ).json() == [row]
    assert requests.get(url, params={"type": "workflow"}, headers=headers).json() == []
    bad_type = requests.get(url, params={"type": "nonsense"}, headers=headers)
    assert (bad_type.status_code, bad_type.json()) == (400, {"type": ["Invalid type"]})

    def refused(body: object) -> dict:
        answer = requests.put(url, json=body, headers=headers)
        assert answer.status_code == 400, answer.text
        return answer.json()

    assert refused({}) == {
        "type": ["This field is required."],
        "scopeType": ["This field is required."],
        "scopeIdentifier": ["This field is required."],
        "value": ["This field is required."],
    }
    base = {"type": "workflow", "scopeType": "user", "scopeIdentifier": str(member_id)}
    assert refused({**base, "value": "sometimes"}) == {"value": ["Invalid value"]}
    assert refused({**base, "type": "nope", "value": "always"}) == {"type": ["Invalid type"]}
    assert refused({**base, "scopeType": "galaxy", "value": "always"}) == {
        "scopeType": ["Invalid scope type"]
    }
    assert refused({**base, "value": "committed_only"}) == {"non_field_errors": ["Invalid type for value"]}
    assert requests.get(url, headers=headers).json() == [row]  # nothing stored by a 400
    others = requests.get(f"{base_url}/api/0/users/{world.owner_id}/notification-settings/", headers=headers)
    assert (others.status_code, others.json()) == (
        403,
        {"detail": "You do not have permission to perform this action."},
    )


def _comment(api: IssuesApi, group_id: int, text: object, token: str | None = None) -> requests.Response:
    return api.http.post(
        f"{api.base_url}/api/0/issues/{group_id}/comments/",
        json={"text": text},
        headers=api.world.headers(token),
    )


def test_a_comment_mails_the_subscribers_and_subscribes_its_author(
    api: IssuesApi,
    notifier: None,  # noqa: F811
) -> None:
    watcher_id, watcher_token = api.member()
    author_id, author_token = api.member()
    group = api.group(title="TimeoutError: upstream")
    api.ok(group, {"isSubscribed": True}, watcher_token)
    posted = _comment(api, group.id, "Looking into it", author_token)
    assert posted.status_code == 201, posted.text
    note = posted.json()
    assert (note["type"], note["data"], note["user"]["id"]) == (
        "note",
        {"text": "Looking into it"},
        str(author_id),
    )
    [message] = _mailed(_email(watcher_id))
    issue = api.get(group).json()
    assert message["Subject"] == f"[Watchtower] {issue['shortId']} - TimeoutError: upstream"
    lines = _body(message).splitlines()
    assert lines[0].endswith(f"commented on {issue['shortId']}") and lines[2] == "Looking into it"
    assert _mail(_email(author_id)) == []  # the actor
    # the author is subscribed now (reason comment): the watcher's reply reaches them
    assert api.get(group, author_token).json()["subscriptionDetails"] == {"reason": "comment"}
    assert _comment(api, group.id, "Thanks", watcher_token).status_code == 201
    [reply] = _mailed(_email(author_id))
    assert _body(reply).splitlines()[2] == "Thanks"


def test_comment_bodies_are_checked(api: IssuesApi) -> None:
    group = api.group()
    missing = api.http.post(
        f"{api.base_url}/api/0/issues/{group.id}/comments/", json={}, headers=api.world.headers()
    )
    assert (missing.status_code, missing.json()) == (400, {"text": ["This field is required."]})
    for text, error in (
        (None, "This field may not be null."),
        ("   ", "This field may not be blank."),
        (42, "Not a valid string."),
        ("x" * 10_001, "Ensure this field has no more than 10000 characters."),
    ):
        answer = _comment(api, group.id, text)
        assert (answer.status_code, answer.json()) == (400, {"text": [error]}), text
    assert _comment(api, group.id, "Same words").status_code == 201
    again = _comment(api, group.id, "  Same words\n")  # trimmed, as Sentry's serializer does
    assert (again.status_code, again.json()) == (400, {"detail": "You have already posted that comment."})
    notes = [a for a in api.get(group).json()["activity"] if a["type"] == "note"]
    assert [n["data"]["text"] for n in notes] == ["Same words"]


def test_an_update_queues_its_notifications_in_one_message(api: IssuesApi) -> None:
    member_id, _ = api.member()
    groups = [api.group(title=f"Error {n}") for n in range(3)]
    with count_requests() as calls:
        answer = api.bulk([("id", str(g.id)) for g in groups], {"assignedTo": str(member_id)})
    assert answer.status_code == 200, answer.text
    assert calls["SendMessage"] == 1, calls  # three assignments, one message
    with count_requests() as calls:
        api.ok(groups[0], {"isBookmarked": True})
    assert "SendMessage" not in calls, calls  # bookmarking logs no activity Sentry mails about


def test_a_notification_received_again_mails_nobody_twice(
    api: IssuesApi,
    local_lambda: LocalLambda,
    notifier: None,  # noqa: F811
) -> None:
    member_id, _ = api.member()
    group = api.group(title="ValueError: twice")
    api.ok(group, {"assignedTo": str(member_id)})
    [first] = _mailed(_email(member_id))
    [assigned] = [a for a in rows(group, Activity) if a.type == ActivityType.ASSIGNED]
    body = json.dumps({"kind": "workflow", "notices": [notice(assigned)]})
    for _ in range(2):  # SQS handing the same message over again, twice
        result = local_lambda.invoke("NotifierFunction", {"Records": [events_queue_record(body)]})
        assert result == {"batchItemFailures": []}
    time.sleep(1.0)
    assert [m["Message-ID"] for m in _mail(_email(member_id))] == [first["Message-ID"]]
