"""16 clients at once, each with its own token (members of two organizations), query string and
body: every answer is the client's own. Handlers run one event per environment, so nothing a
request sets (powertools' current event, the logger's context) can leak into another's answer."""

from __future__ import annotations

import gzip
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from sentry_sdk.envelope import Envelope

from tests.conftest import World, events_processed, make_user, make_world

CLIENTS, ROUNDS = 16, 2


@dataclass
class Client:
    index: int
    org: str
    project: str
    token: str
    status: str
    expected: list[int]
    ingest_url: str
    ingest_key: str


def _list_url(base_url: str, where: World | Client) -> str:
    return f"{base_url}/api/0/projects/{where.org}/{where.project}/issues/"


def _send(
    url: str, key: str, fingerprint: str, session: requests.Session | None = None
) -> tuple[requests.Response, str]:
    """An event on ``fingerprint``, gzip'd in an envelope as sentry-sdk sends it; and its id."""
    event_id = uuid.uuid4().hex
    envelope = Envelope(headers={"event_id": event_id})
    envelope.add_event(
        {"event_id": event_id, "level": "error", "message": "boom", "fingerprint": [fingerprint]}
    )
    headers = {
        "Content-Type": "application/x-sentry-envelope",
        "Content-Encoding": "gzip",
        "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7",
    }
    return (session or requests).post(
        url, data=gzip.compress(envelope.serialize()), headers=headers
    ), event_id


def _organization_clients(base_url: str, world: World, first_index: int) -> list[Client]:
    """An unresolved issue (from an event) and a resolved one in the world's project, and eight
    members with their own tokens, half of them listing each status."""
    from shared.accounts.organizations import add_member, find_organization
    from shared.issues.groups import create_group
    from shared.projects.keys import list_project_keys
    from shared.storage.accounts import Project

    org = find_organization(world.org)
    project = Project.get(*Project.key(org.id, world.project))
    key = str(list_project_keys(project)[0].public_key)
    ingest_url = f"{base_url}/api/{project.id}/envelope/"
    assert _send(ingest_url, key, f"open-{world.org}")[0].status_code == 200
    events_processed()
    listed = requests.get(_list_url(base_url, world), headers=world.headers()).json()
    [unresolved] = [int(issue["id"]) for issue in listed]
    resolved = create_group(project, f"fixed {world.org}").id
    answer = requests.put(
        f"{base_url}/api/0/issues/{resolved}/", json={"status": "resolved"}, headers=world.headers()
    )
    assert answer.status_code == 200, answer.text
    clients = []
    for offset in range(CLIENTS // 2):
        user_id, token = make_user()
        add_member(org, user_id, "owner")
        status = ("resolved", "unresolved")[offset % 2]
        expected = [resolved] if status == "resolved" else [unresolved]
        clients.append(
            Client(first_index + offset, world.org, world.project, token, status, expected, ingest_url, key)
        )
    return clients


def test_every_answer_is_the_clients_own(base_url: str, world: World) -> None:
    other = make_world()  # a second organization, with its own owner
    clients = _organization_clients(base_url, world, 0) + _organization_clients(base_url, other, CLIENTS // 2)
    wrong: list[str] = []
    lock = threading.Lock()

    def run(client: Client) -> int:
        session = requests.Session()
        auth = {"Authorization": f"Bearer {client.token}"}
        list_url = _list_url(base_url, client)
        bulk_url = f"{base_url}/api/0/organizations/{client.org}/issues/"
        answers = 0
        for round_ in range(ROUNDS):
            listed = session.get(list_url, params={"query": f"is:{client.status}"}, headers=auth)
            ids = [int(issue["id"]) for issue in listed.json()] if listed.status_code == 200 else listed.text
            flag = (client.index + round_) % 2 == 0
            bulk = session.put(
                bulk_url, params={"id": client.expected[0]}, json={"isBookmarked": flag}, headers=auth
            )
            # counts on the organization's unresolved issue: the lists stay as they are
            sent, event_id = _send(client.ingest_url, client.ingest_key, f"open-{client.org}", session)
            refused = session.get(list_url, headers={"Authorization": f"Bearer {client.token}x"})
            checks = {
                f"list {ids}": ids == client.expected,
                f"bulk {bulk.text}": bulk.status_code == 200 and bulk.json() == {"isBookmarked": flag},
                f"envelope {sent.text}": sent.status_code == 200 and sent.json() == {"id": event_id},
                f"bad token {refused.text}": refused.status_code == 401 and "detail" in refused.json(),
            }
            answers += len(checks)
            with lock:
                wrong.extend(f"client {client.index}: {name}" for name, ok in checks.items() if not ok)
        return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        answered = sum(pool.map(run, clients))
    assert answered == CLIENTS * ROUNDS * 4
    assert wrong == []
