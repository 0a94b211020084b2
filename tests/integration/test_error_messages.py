"""Every message a client can be told in a 4xx is asserted about a response by some test.

``test_every_client_message_is_asserted`` reads the code's client messages and the strings the tests
assert about responses (``tests/integration/client_messages.py`` says how both are found) and requires
each message in the second. The tests below assert the ones no other test reached, through HTTP where
a request can provoke them: the envelope parser's, the commit range rules', the body limits, and
answers of the release, project, issue and account services."""

from __future__ import annotations

import base64
import gzip
import os
import re
import zlib
from datetime import UTC, datetime

import pytest
import requests

from shared.accounts.organizations import add_member, find_organization
from shared.accounts.users import create_user
from shared.auth.tokens import create_user_token
from shared.errors import ApiError
from shared.ingest.encoding import decode_body
from shared.ingest.envelope import MAX_BODY_BYTES, MAX_EVENT_BYTES, parse_envelope, parse_store_body
from shared.ingest.event import normalize_event
from shared.issues.groups import create_group
from shared.storage.accounts import Organization, Project
from tests.conftest import World, unique
from tests.integration import client_messages
from tests.integration.test_ingest_api import _auth, _envelope, _event, _event_item

# Messages no request can provoke on purpose: contention retries that outlasted their budget, and
# internal invariants (they are still Sentry-shaped answers, never a 500).
NOT_PROVOKABLE = {
    " exceed max bit value of ",
    "count must be at least 1",
    "Max allowed ID retry reached. Please try again in a second",
    "The issues changed while being updated; please try again.",
    "one group's change exceeds a transaction",
    "The event's issue is changing too fast; retry the event",
    "The event's issue went away while counting; retry the event",
    "The issue's user count is changing too fast; retry",
    "The issue's tags are changing too fast; retry",
    # compensations of one ledger entry racing more than a few times in a row
    "The events' ledger is changing too fast; retry the events",
    # a merge moving a group's current-hour count while events keep changing it, many times in a row
    "The issue's counts are changing too fast; retry",
    # queue messages the edge did not write: their records fail and go to the dead-letter queue
    "queued payload is not a JSON object",
    "unknown deletion job type: ",
}


def test_every_client_message_is_asserted() -> None:
    messages, _ = client_messages.code_messages()
    assert messages >= NOT_PROVOKABLE, NOT_PROVOKABLE - messages  # no entry outlives its message
    assert client_messages.unasserted(messages - NOT_PROVOKABLE) == []


def test_the_message_scan_finds_messages_wherever_the_code_keeps_them() -> None:
    messages, classes = client_messages.code_messages()
    # error classes defined beside the code that raises them, at any depth of derivation
    assert {"PayloadTooLarge", "UnsupportedEncoding", "EventTooLarge", "OnlyErrorIssues"} <= classes
    assert {"MaxSnowflakeRetryError", "TooManyRequests", "NotAuthenticated"} <= classes
    assert "Authentication credentials were not provided." in messages  # a default detail
    assert "Request body too large" not in messages  # the default of a class every raise replaces
    assert "Invalid release version format. Please use a valid version." in messages  # a constant
    assert "Multipart form parse error - Invalid boundary in multipart: None" in messages  # json_response
    assert "Enter a valid slug consisting of lowercase letters" in " ".join(messages)  # imported constant
    assert "This field is required." in messages  # a constant of a helper building the body
    assert 'Expected a list of items but got type "' in messages  # a template, by its literal part
    # a default every raise replaces is no message: ingestion's 429s always say why
    assert "Too many events; retry later" not in messages


def test_only_strings_asserted_about_a_response_count() -> None:
    source = """
import pytest

EXPECTED = {"detail": "A constant the assert names"}

def test_sent_and_expected(http, url):
    response = http.post(url, json={"name": "Only sent in the request"})
    refusal = (400, {"detail": "Held by a local name"})
    assert (response.status_code, response.json()) == refusal
    assert response.json() == EXPECTED
    assert "Written in the assert" in response.text
    assert len("Asserted about no response") > 3
    http.get(url, params={"q": "Sent and never asserted"})

def _answer(http, payload):
    return http.post(url, json=payload).json()

def test_helper(http):
    assert _answer(http, {"name": "Given to a helper"}) == {"detail": "Expected from a helper"}

@pytest.mark.parametrize(("body", "message"), [({"a": "Parametrized input"}, "Parametrized message")])
def test_parametrized(http, url, body, message):
    assert http.post(url, json=body).json() == {"detail": message}
"""
    asserted = "\n".join(client_messages.asserted_strings([source]))
    for counted in (
        "A constant the assert names",
        "Held by a local name",
        "Written in the assert",
        "Parametrized message",
        "Expected from a helper",
    ):
        assert counted in asserted, counted
    not_counted = (
        "Only sent in the request",
        "Asserted about no response",
        "Sent and never asserted",
        "Parametrized input",
        "Given to a helper",
    )
    for text in not_counted:
        assert text not in asserted, text


def _refusal(call) -> tuple[int, object]:
    with pytest.raises(ApiError) as raised:
        call()
    return raised.value.status_code, raised.value.body()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"  \n", "Empty envelope"),
        (b"{nope\n", "Invalid envelope: the envelope header is not JSON"),
        (b"[1]\n", "Invalid envelope: the envelope header is not a JSON object"),
        (b'{}\n{"length": 2}\n{}\n', "Invalid envelope: an item header has no type"),
        (
            b'{}\n{"type": "event", "length": -1}\n{}\n',
            "Invalid envelope: item length is not a non-negative integer",
        ),
        (b'{}\n{"type": "event", "length": 99}\n{}\n', "Invalid envelope: item is shorter than its length"),
        (b"{}\nnot json\n", "Invalid envelope: an item header is not JSON"),
        (b"{}\n[]\n", "Invalid envelope: an item header is not a JSON object"),
    ],
)
def test_envelope_parser_messages(data: bytes, message: str) -> None:
    assert _refusal(lambda: parse_envelope(data)) == (400, {"detail": message})


def test_envelope_item_store_body_and_encoding_messages() -> None:
    [item] = parse_envelope(b'{}\n{"type": "event"}\n{oops\n').items
    assert _refusal(item.json) == (400, {"detail": "Invalid JSON in envelope item of type 'event'"})
    assert _refusal(lambda: parse_store_body(b"%%%")) == (400, {"detail": "Invalid event: body is not JSON"})
    assert _refusal(lambda: parse_store_body(b"{bad")) == (400, {"detail": "Invalid event: body is not JSON"})
    listed = base64.b64encode(zlib.compress(b"[1]"))  # very old SDKs' encoding, of a list
    assert _refusal(lambda: parse_store_body(listed)) == (
        400,
        {"detail": "Invalid event: body is not a JSON object"},
    )
    assert _refusal(lambda: decode_body(b"plain", "gzip", 100)) == (
        400,
        {"detail": "Body is not valid gzip data"},
    )
    assert _refusal(lambda: decode_body(b"x", "zstd", 100)) == (
        415,
        {"detail": "Unsupported Content-Encoding: zstd"},
    )
    now = datetime.now(UTC)
    assert _refusal(lambda: normalize_event([], now)) == (400, {"detail": "Invalid event: not a JSON object"})
    assert _refusal(lambda: normalize_event({"event_id": "nope"}, now)) == (
        400,
        {"event_id": ["Invalid event_id: expected a UUID."]},
    )


@pytest.mark.parametrize(
    ("commit", "message"),
    [
        ("..abc", "Commit cannot begin or end with .."),
        ("abc..", "Commit cannot begin or end with .."),
        ("a" * 65 + "..b", "Start or end commit too long - max is 64 chars each"),
        ("a" * 65, "Commit too long - max is 64 chars"),
    ],
)
def test_commit_range_messages(base_url: str, world: World, commit: str, message: str) -> None:
    body = {
        "version": unique("range"),
        "projects": [world.project],
        "refs": [{"repository": "a/b", "commit": commit}],
    }
    response = requests.post(
        f"{base_url}/api/0/organizations/{world.org}/releases/", json=body, headers=world.headers()
    )
    assert (response.status_code, response.json()) == (400, {"refs": {"commit": [message]}})


def test_release_service_messages(base_url: str, world: World) -> None:
    headers = world.headers()
    releases = f"{base_url}/api/0/organizations/{world.org}/releases/"
    version = unique("msg")
    assert requests.post(releases, json={"version": version, "projects": [world.project]}, headers=headers).ok
    org = find_organization(world.org)
    assert org is not None
    project = Project.get(*Project.key(org.id, world.project))
    create_group(project, "KeyError: x", first_release_version=version)
    refused = requests.delete(f"{releases}{version}/", headers=headers)
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "This release is referenced by active issues and cannot be removed."},
    )
    bad_date = requests.put(f"{releases}{version}/", json={"dateReleased": "yesterday"}, headers=headers)
    wrong_format = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."  # noqa: E501
    assert bad_date.status_code == 400 and bad_date.json() == {"dateReleased": [wrong_format]}

    # a project of another team, for the bulk update below
    from shared.accounts.teams import create_team
    from shared.auth.access import Principal, organization_access
    from shared.projects.service import create_project

    team = create_team(organization_access(Principal.acting_user(world.owner_id), world.org), "Other", None)
    own = create_project(
        organization_access(Principal.acting_user(world.owner_id), world.org), team.slug, "Own"
    )

    # resolving in a release is for one project at a time
    both = {"version": version, "projects": [world.project, own.slug]}
    assert requests.post(releases, json=both, headers=headers).status_code == 201  # a project was added
    org.update(actions=[Organization.features.add({"organizations:global-views"})])
    groups = f"id={create_group(own, 'E').id}&id={create_group(project, 'F').id}"
    ids = f"project={project.id}&project={own.id}&{groups}"
    several = requests.put(
        f"{base_url}/api/0/organizations/{world.org}/issues/?{ids}",
        json={"status": "resolved", "statusDetails": {"inRelease": version}},
        headers=headers,
    )
    assert (several.status_code, several.json()) == (
        400,
        {"detail": "Cannot set resolved for multiple projects."},
    )


def test_project_and_issue_messages(base_url: str, world: World) -> None:
    headers = world.headers()
    reserved = requests.post(
        f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/",
        json={"name": "Settings", "slug": "settings"},
        headers=headers,
    )
    assert (reserved.status_code, reserved.json()) == (
        400,
        {"slug": ['The slug "settings" is reserved and not allowed.']},
    )
    org = find_organization(world.org)
    assert org is not None
    group = create_group(Project.get(*Project.key(org.id, world.project)), "TypeError: y")
    body = {"status": "resolved", "statusDetails": {"inCommit": {"commit": "abc", "repository": "nope/nope"}}}
    unknown_repo = requests.put(f"{base_url}/api/0/issues/{group.id}/", json=body, headers=headers)
    assert unknown_repo.status_code == 400, unknown_repo.text
    assert "Unable to find the given repository." in unknown_repo.text


def test_account_messages(world: World) -> None:
    name = unique("dup")
    user = create_user(name, f"{name}@example.com")
    assert _refusal(lambda: create_user(name, f"other-{name}@example.com")) == (
        409,
        {"detail": "A user with this username already exists."},
    )
    status, body = _refusal(lambda: create_user_token(user.id, {"bogus:scope"}))
    assert (status, body) == (400, {"scopes": ["Invalid scopes: bogus:scope"]})
    org = find_organization(world.org)
    assert org is not None
    assert _refusal(lambda: add_member(org, user.id, "emperor"))[0] == 400
    assert "Invalid role: emperor" in str(_refusal(lambda: add_member(org, user.id, "emperor"))[1])
    add_member(org, user.id, "member")
    assert _refusal(lambda: add_member(org, user.id, "member")) == (
        400,
        {"detail": "This user is already a member of the organization."},
    )


def test_ingest_key_messages(base_url: str, world: World) -> None:
    org = find_organization(world.org)
    assert org is not None
    project_id = Project.get(*Project.key(org.id, world.project)).id
    url = f"{base_url}/api/{project_id}/envelope/"
    missing = requests.post(url, data=b"{}\n")
    assert (missing.status_code, missing.json()) == (
        401,
        {"detail": "Missing DSN public key (X-Sentry-Auth header or sentry_key parameter)"},
    )
    unknown = requests.post(f"{url}?sentry_key={'0' * 32}", data=b"{}\n")
    assert (unknown.status_code, unknown.json()) == (401, {"detail": "Unknown DSN key for this project"})


SLUG_ERROR = (
    "Enter a valid slug consisting of lowercase letters, numbers, underscores or hyphens. "
    "It cannot be entirely numeric."
)


def test_body_shape_messages(base_url: str, world: World) -> None:
    """Messages of the request's shape: a slug's form, a list's type, a multipart body's boundary."""
    headers = world.headers()
    org_url = f"{base_url}/api/0/organizations/{world.org}"
    for slug in ("Not A Slug", "1234"):
        team = requests.post(f"{org_url}/teams/", json={"slug": slug}, headers=headers)
        assert (team.status_code, team.json()) == (400, {"slug": [SLUG_ERROR]})
    project = requests.post(
        f"{base_url}/api/0/teams/{world.org}/{world.team}/projects/",
        json={"name": "Web", "slug": "Web!"},
        headers=headers,
    )
    assert (project.status_code, project.json()) == (400, {"slug": [SLUG_ERROR]})
    not_a_list = requests.post(
        f"{org_url}/releases/", json={"version": "1", "projects": "web"}, headers=headers
    )
    expected = {"projects": ['Expected a list of items but got type "str".']}
    assert (not_a_list.status_code, not_a_list.json()) == (400, expected)
    multipart = requests.post(
        f"{org_url}/releases/", data=b"version=1", headers={**headers, "Content-Type": "multipart/form-data"}
    )
    no_boundary = {"detail": "Multipart form parse error - Invalid boundary in multipart: None"}
    assert (multipart.status_code, multipart.json()) == (400, no_boundary)


def test_future_release_messages(base_url: str, world: World) -> None:
    org = find_organization(world.org)
    assert org is not None
    org.update(actions=[Organization.features.add({"organizations:resolve-in-future-release"})])
    group = create_group(Project.get(*Project.key(org.id, world.project)), "ValueError: z")
    url = f"{base_url}/api/0/issues/{group.id}/"

    def resolve_in(version: str) -> requests.Response:
        body = {"status": "resolved", "statusDetails": {"inFutureRelease": version}}
        return requests.put(url, json=body, headers=world.headers())

    invalid = resolve_in("bad/version")
    assert (invalid.status_code, invalid.json()) == (
        400,
        {
            "statusDetails": {
                "inFutureRelease": ["Invalid release version format. Please use a valid version."]
            }
        },
    )
    not_semver = resolve_in("2.0")
    semver = "Invalid semver format. Please use format: package@major.minor.patch[-prerelease][+build]"
    assert (not_semver.status_code, not_semver.json()) == (
        400,
        {"statusDetails": {"inFutureRelease": [semver]}},
    )


def test_ingest_size_messages(target: tuple[str, str, int]) -> None:
    """A body that inflates past the limit, and an event too large for one queued message."""
    url, public_key, _ = target
    bomb = gzip.compress(b"{" + b" " * MAX_BODY_BYTES + b"}")  # about 20 KB on the wire
    headers = {**_auth(public_key), "Content-Encoding": "gzip", "Content-Type": "application/json"}
    inflated = requests.post(url.replace("/envelope/", "/store/"), data=bomb, headers=headers)
    assert (inflated.status_code, inflated.json()) == (
        413,
        {"detail": f"Request body too large: over {MAX_EVENT_BYTES} bytes decompressed"},
    )
    noise = os.urandom(300_000).hex()  # incompressible: above a queued message's 256 KB
    event = _envelope(_event_item(_event(extra={"dump": noise})))
    too_large = requests.post(url, data=event, headers=_auth(public_key))
    assert too_large.status_code == 413
    assert re.fullmatch(
        r"Event too large: \d+ bytes of JSON do not fit in one queued message", too_large.json()["detail"]
    )
