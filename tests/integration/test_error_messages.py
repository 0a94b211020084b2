"""Every message a client can be told in a 4xx is asserted by some test.

``test_every_client_message_is_asserted`` reads the messages of the code's client errors (the
arguments of ``BadRequest``, ``ValidationFailed``, ``NotFound``, ``Conflict``, … and of the
``ValueError``s that validators turn into field messages) and requires each to appear in a test.
The tests below assert the ones no other test reached: the envelope parser's, the commit range
rules', and answers of the release, project, issue and account services."""

from __future__ import annotations

import ast
import base64
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from shared.accounts.organizations import add_member, find_organization
from shared.accounts.users import create_user
from shared.auth.tokens import create_user_token
from shared.errors import ApiError
from shared.ingest.envelope import decode_body, parse_envelope, parse_store_body
from shared.ingest.event import normalize_event
from shared.issues.groups import create_group
from shared.releases.versions import split_commit_range
from shared.storage.accounts import Organization, Project
from tests.conftest import World, make_user, unique

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ERRORS = {
    "ApiError", "BadRequest", "ValidationFailed", "NotFound", "PermissionDenied", "Conflict",
    "PayloadTooLarge", "UnsupportedEncoding", "ValueError", "NotAuthenticated", "InvalidToken",
}  # fmt: skip
# Messages no request can provoke on purpose: contention retries that outlasted their budget, and
# internal invariants (they are still Sentry-shaped answers, never a 500).
NOT_PROVOKABLE = {
    " exceed max bit value of ",
    "count must be at least 1",
    "The issues changed while being updated; please try again.",
    "one group's change exceeds a transaction",
    "The event's issue is changing too fast; retry the event",
    "The event's issue went away while counting; retry the event",
    "The issue's user count is changing too fast; retry",
    # compensations of one ledger entry racing more than a few times in a row
    "The events' ledger is changing too fast; retry the events",
    # a merge moving a group's current-hour count while events keep changing it, many times in a row
    "The issue's counts are changing too fast; retry",
    # a queue message the edge did not write: its record fails and goes to the dead-letter queue
    "queued payload is not a JSON object",
}


def _messages() -> set[str]:
    """The longest literal part of each message passed to a client error in shared/ and functions/."""
    found: set[str] = set()
    for path in [*ROOT.glob("shared/**/*.py"), *ROOT.glob("functions/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in CLIENT_ERRORS:
                continue
            for part in ast.walk(node):
                if isinstance(part, ast.Constant) and isinstance(part.value, str) and len(part.value) > 12:
                    found.add(part.value)
                elif isinstance(part, ast.JoinedStr):
                    literals = [v.value for v in part.values if isinstance(v, ast.Constant)]
                    if literals and len(max(literals, key=len)) > 8:
                        found.add(max(literals, key=len))
    return found


def test_every_client_message_is_asserted() -> None:
    messages = _messages()
    assert len(messages) > 40  # the scan finds the code's messages
    tests = "\n".join(p.read_text(encoding="utf-8") for p in ROOT.glob("tests/**/*.py"))
    unasserted = sorted(m for m in messages - NOT_PROVOKABLE if m not in tests.replace(__doc__ or "", ""))
    assert unasserted == [], unasserted


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
    assert _refusal(lambda: decode_body(b"plain", "gzip")) == (400, {"detail": "Body is not valid gzip data"})
    assert _refusal(lambda: decode_body(b"x", "zstd")) == (
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
def test_commit_range_messages(commit: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.") + "$"):
        split_commit_range(commit)


def test_release_service_messages(base_url: str, world: World) -> None:
    headers = world.headers()
    releases = f"{base_url}/api/0/organizations/{world.org}/releases/"
    version = unique("msg")
    assert requests.post(releases, json={"version": version, "projects": [world.project]}, headers=headers).ok
    org = find_organization(world.org)
    assert org is not None
    project = Project.get(*Project.key(int(org.id), world.project))
    create_group(project, "KeyError: x", first_release_version=version)
    refused = requests.delete(f"{releases}{version}/", headers=headers)
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "This release is referenced by active issues and cannot be removed."},
    )
    bad_date = requests.put(f"{releases}{version}/", json={"dateReleased": "yesterday"}, headers=headers)
    wrong_format = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."  # noqa: E501
    assert bad_date.status_code == 400 and bad_date.json() == {"dateReleased": [wrong_format]}

    # a member outside the release's project's team cannot add their own project to it
    from shared.accounts.organizations import join_team
    from shared.accounts.teams import create_team
    from shared.auth.access import Principal, organization_access
    from shared.projects.service import create_project

    member_id, member_token = make_user()
    member = add_member(org, member_id, "admin")
    team = create_team(organization_access(Principal.acting_user(world.owner_id), world.org), "Other", None)
    join_team(member, int(team.id))
    own = create_project(organization_access(Principal.acting_user(member_id), world.org), team.slug, "Own")
    hidden = requests.post(
        releases, json={"version": version, "projects": [own.slug]}, headers=world.headers(member_token)
    )
    assert (hidden.status_code, hidden.json()) == (
        400,
        {"projects": [f"You do not have permission to one of the projects: {world.project}"]},
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
    group = create_group(Project.get(*Project.key(int(org.id), world.project)), "TypeError: y")
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
    status, body = _refusal(lambda: create_user_token(int(user.id), {"bogus:scope"}))
    assert (status, body) == (400, {"scopes": ["Invalid scopes: bogus:scope"]})
    org = find_organization(world.org)
    assert org is not None
    assert _refusal(lambda: add_member(org, int(user.id), "emperor"))[0] == 400
    assert "Invalid role: emperor" in str(_refusal(lambda: add_member(org, int(user.id), "emperor"))[1])
    add_member(org, int(user.id), "member")
    assert _refusal(lambda: add_member(org, int(user.id), "member")) == (
        400,
        {"detail": "This user is already a member of the organization."},
    )


def test_ingest_key_messages(base_url: str, world: World) -> None:
    org = find_organization(world.org)
    assert org is not None
    project_id = Project.get(*Project.key(int(org.id), world.project)).id
    url = f"{base_url}/api/{project_id}/envelope/"
    missing = requests.post(url, data=b"{}\n")
    assert (missing.status_code, missing.json()) == (
        401,
        {"detail": "Missing DSN public key (X-Sentry-Auth header or sentry_key parameter)"},
    )
    unknown = requests.post(f"{url}?sentry_key={'0' * 32}", data=b"{}\n")
    assert (unknown.status_code, unknown.json()) == (401, {"detail": "Unknown DSN key for this project"})
