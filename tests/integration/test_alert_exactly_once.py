"""An alert is delivered exactly once however the processor dies: it is stopped after each of its
DynamoDB requests in turn (``local.faults``'s ``stop_after``), then the batch is delivered again,
and once more. A rule "first seen → webhook + email" fires for a new issue whose only event (or
first of two) was counted before the stop, a rule "regression → webhook + email" for an issue the
stopped delivery regressed; the notifier then delivers what was queued, to a real HTTP receiver
on this machine and to SES (moto's, one ``.eml`` file per message): one post and one message per
issue and rule, whichever request the processor died after."""

from __future__ import annotations

import email
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.faults import disarm, passed, stop_after
from shared.alerts import evaluation
from shared.alerts.delivery import deliver
from shared.alerts.plugins import configure_plugin
from shared.alerts.rules import create_rule, delete_rule, list_rules, validate
from shared.config import settings
from shared.ingest.batch import store_batch
from shared.queues import _client as sqs_client
from shared.releases.from_events import forget_known
from shared.storage.accounts import Project, User
from tests import conftest
from tests.clients.test_alert_delivery import Receiver
from tests.conftest import World
from tests.integration.test_event_batches import _group_of, _payload
from tests.integration.test_exactly_once import (
    _batch,
    _clear_of_hour_edges,
    _record,
    _release,
    _resolved_issue,
    _unfollowed_entries,
)

FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"
REGRESSION = "sentry.rules.conditions.regression_event.RegressionEventCondition"
WEBHOOK = {"id": "sentry.rules.actions.notify_event_service.NotifyEventServiceAction", "service": "webhooks"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def stopped() -> Iterator[None]:
    try:
        yield
    finally:
        disarm(conftest.faults_url)


def _rules(project: Project, world: World, receiver: Receiver) -> str:
    """The project's rules replaced by "new issue" and "regressed", each to the webhooks plugin (the
    receiver) and by email to the owner; the owner's address."""
    for rule in list_rules(project.id):
        delete_rule(rule)
    configure_plugin(project, "webhooks", {"urls": receiver.url})
    owner = {"id": "sentry.mail.actions.NotifyEmailAction", "targetType": "Member"}
    owner["targetIdentifier"] = world.owner_id
    for name, condition in (("New issue", FIRST_SEEN), ("Regressed", REGRESSION)):
        body = {
            "name": name,
            "actionMatch": "all",
            "conditions": [{"id": condition}],
            "actions": [WEBHOOK, owner],
        }
        create_rule(project, validate(body), None)
    return User.get(*User.key(world.owner_id)).email


def _deliver_queued(project: Project) -> None:
    """The notifier's work on every queued alert notification of the project, each message once
    (workflow email, messages with a ``kind``, is not what this module checks)."""
    url = settings().notifications_queue_url
    while True:
        answer = sqs_client().receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = answer.get("Messages", [])
        if not messages:
            return
        for message in messages:
            body = json.loads(message["Body"])
            if "kind" not in body and body["project_id"] == project.id:
                deliver(body)
            sqs_client().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _mail_subjects(to: str) -> list[str]:
    folder = Path(os.environ["LOCAL_MAIL_DIR"])
    found = [email.message_from_string(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.eml"))]
    return [str(message["Subject"]) for message in found if to in (message["To"] or "")]


def _run(records: list[dict[str, Any]], stop: int | None, cold: bool = False) -> int:
    """One delivery of ``records``, stopped after ``stop`` DynamoDB requests (None: not stopped),
    by a new container when ``cold`` (else by the one before, which remembers its rules and fires);
    the requests it made. A delivery that needed no more than ``stop`` requests is whole; one
    stopped fails every record (left to SQS)."""
    stop_after(conftest.faults_url, 10_000 if stop is None else stop)
    if cold:
        forget_known()
        evaluation.forget()
    failed = store_batch(records)
    count = passed(conftest.faults_url)
    disarm(conftest.faults_url)
    if stop is None or (not failed and count <= stop):
        assert failed == set(), stop
    else:
        assert failed == {r["messageId"] for r in records}, stop
    return count


SCENARIOS = ["new issue, one event", "new issue, two events", "regression"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_an_alert_is_sent_once_whichever_request_the_processor_died_after(
    project: Project, world: World, receiver: Receiver, stopped: None, scenario: str
) -> None:
    _clear_of_hour_edges(180)
    to = _rules(project, world, receiver)
    _release(project)
    rule = "Regressed" if scenario == "regression" else "New issue"

    def delivery(fingerprint: str) -> list[dict[str, Any]]:
        if scenario == "regression":
            _resolved_issue(project, fingerprint)
            return _batch(project, fingerprint)[0]
        count = 1 if scenario == "new issue, one event" else 2
        return [_record(project, _payload(fingerprint, user=f"u{i}")) for i in range(count)]

    total = _run(delivery(f"measure-{scenario}"), None, cold=True)
    assert total > 5
    fingerprints = [f"measure-{scenario}"]
    for step in range(total):
        fingerprint = f"stop-{scenario}-{step}"
        fingerprints.append(fingerprint)
        records = delivery(fingerprint)
        if _run(records, step, cold=True) < step:  # it needed fewer requests than the first delivery (which
            break  # made the project's environment): every request it makes had its stop
        _run(records, None)  # delivered again, by the container that died (it remembers its fires)
        _run(records, None)  # and once more: nothing changes
    _deliver_queued(project)
    _deliver_queued(project)  # a notification queued twice is delivered once

    groups = {str(_group_of(project, fingerprint).id): fingerprint for fingerprint in fingerprints}
    posts = Counter(
        (groups.get(body["id"]), tuple(body["triggering_rules"]))
        for body in receiver.bodies
        if body["id"] in groups
    )
    assert posts == {(fingerprint, (rule,)): 1 for fingerprint in fingerprints} | (
        {(fingerprint, ("New issue",)): 1 for fingerprint in fingerprints} if scenario == "regression" else {}
    )
    subjects = Counter(subject.split(" - ")[1] for subject in _mail_subjects(to))
    expected = 2 if scenario == "regression" else 1
    assert {f: subjects[f"{f} happened"] for f in fingerprints} == {f: expected for f in fingerprints}
    assert _unfollowed_entries(project) == []
