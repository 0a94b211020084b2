"""``watchtower admin …``: operator commands against the configured tables (AWS or local).

Every command calls the same domain services the API uses; team and project creation act as the
named member, with everything that member's role allows.

The tables, queues and public URL come from the environment (``ACCOUNTS_TABLE``, … as the template
gives the functions) or, with ``--stack NAME`` (or ``WATCHTOWER_STACK``), from that deployed
stack's outputs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from shared.errors import ApiError

# Stack output → the environment variable the functions read it from (the template's Outputs).
STACK_OUTPUTS = {
    "AccountsTable": "ACCOUNTS_TABLE",
    "CountersTable": "COUNTERS_TABLE",
    "ReleasesTable": "RELEASES_TABLE",
    "IssuesTable": "ISSUES_TABLE",
    "DeletionQueue": "DELETION_QUEUE_URL",
    "ReleaseCommitsQueue": "RELEASE_COMMITS_QUEUE_URL",
    "EventsQueue": "EVENTS_QUEUE_URL",
    "NotificationsQueue": "NOTIFICATIONS_QUEUE_URL",
    "PublicUrl": "PUBLIC_URL",
    "SnowflakeRegionId": "SNOWFLAKE_REGION_ID",
}


def use_stack(stack: str) -> dict[str, str]:
    """Point this process at a deployed stack: its outputs become the functions' environment."""
    import boto3

    from shared.config import settings

    [described] = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}
    missing = sorted(set(STACK_OUTPUTS) - set(outputs))
    if missing:
        raise SystemExit(f"stack {stack} has no output {', '.join(missing)}: is it a Watchtower stack?")
    environment = {variable: outputs[output] for output, variable in STACK_OUTPUTS.items()}
    os.environ.update(environment)
    settings.cache_clear()
    return environment


def _create_org(args: argparse.Namespace) -> dict[str, Any]:
    from shared.accounts.organizations import add_member, create_organization
    from shared.accounts.users import find_user_by_name_or_email

    org = create_organization(args.name or args.slug, args.slug, open_membership=args.open_membership)
    if args.owner:
        owner = find_user_by_name_or_email(args.owner)
        if owner is None:
            raise SystemExit(f"unknown user {args.owner}")
        add_member(org, owner.id, "owner")
    return {"id": str(org.id), "slug": org.slug}


def _create_user(args: argparse.Namespace) -> dict[str, Any]:
    from shared.accounts.users import create_user

    user = create_user(args.username, args.email, args.name or "")
    return {"id": str(user.id), "username": user.username, "email": user.email}


def _add_member(args: argparse.Namespace) -> dict[str, Any]:
    from shared.accounts.organizations import add_member, find_organization
    from shared.accounts.users import find_user_by_name_or_email

    org, user = find_organization(args.org), find_user_by_name_or_email(args.user)
    if org is None or user is None:
        raise SystemExit("unknown organization or user")
    member = add_member(org, user.id, args.role)
    return {"org": org.slug, "user": str(user.id), "role": member.role}


def _acting(org: str, user: str):
    from shared.accounts.users import find_user_by_name_or_email
    from shared.auth.access import Principal, organization_access

    member = find_user_by_name_or_email(user)
    if member is None:
        raise SystemExit(f"unknown user {user}")
    return organization_access(Principal.acting_user(member.id), org)


def _create_team(args: argparse.Namespace) -> dict[str, Any]:
    from shared.accounts.teams import create_team

    team = create_team(_acting(args.org, args.user), args.name, args.slug)
    return {"id": str(team.id), "slug": team.slug}


def _create_project(args: argparse.Namespace) -> dict[str, Any]:
    from shared.projects.service import create_project

    acting = _acting(args.org, args.user)
    project = create_project(acting, args.team, args.name, args.slug, args.platform, default_rules=True)
    return {"id": str(project.id), "slug": project.slug}


def _create_token(args: argparse.Namespace) -> dict[str, Any]:
    from shared.accounts.organizations import find_organization
    from shared.accounts.users import find_user_by_name_or_email
    from shared.auth.tokens import create_org_token, create_user_token

    if args.org:
        org = find_organization(args.org)
        if org is None:
            raise SystemExit(f"unknown organization {args.org}")
        return {"token": create_org_token(org.id, org.slug, args.label)}
    user = find_user_by_name_or_email(args.user)
    if user is None:
        raise SystemExit(f"unknown user {args.user}")
    return {"token": create_user_token(user.id, set(args.scopes.split(",")), args.label)}


def _set_project_feature(args: argparse.Namespace) -> dict[str, Any]:
    from pynamodb.exceptions import DoesNotExist

    from shared.accounts.organizations import find_organization
    from shared.projects.features import SETTABLE_FEATURES, set_project_features
    from shared.projects.service import PENDING_DELETION
    from shared.storage.accounts import Project

    if args.feature not in SETTABLE_FEATURES:
        raise SystemExit(f"unknown feature {args.feature} (known: {', '.join(sorted(SETTABLE_FEATURES))})")
    org = find_organization(args.org)
    try:
        project = Project.get(*Project.key(org.id, args.project)) if org is not None else None
    except DoesNotExist:
        project = None
    if project is None or project.status == PENDING_DELETION:
        raise SystemExit(f"unknown project {args.org}/{args.project}")
    features = set(project.features or ()) - {args.feature}
    if not args.off:
        features.add(args.feature)
    set_project_features(project, features)
    return {"project": project.slug, "features": sorted(features)}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="watchtower")
    admin = parser.add_subparsers(dest="area", required=True).add_parser("admin", help="operator commands")
    admin.add_argument(
        "--stack",
        default=os.environ.get("WATCHTOWER_STACK"),
        help="deployed CloudFormation stack whose outputs name the tables (default: $WATCHTOWER_STACK)",
    )
    commands = admin.add_subparsers(dest="command", required=True)

    org = commands.add_parser("create-org")
    org.add_argument("--slug", required=True)
    org.add_argument("--name")
    org.add_argument("--owner", help="username or email of an existing user")
    org.add_argument("--open-membership", action="store_true")
    org.set_defaults(run=_create_org)

    user = commands.add_parser("create-user")
    user.add_argument("--username", required=True)
    user.add_argument("--email", required=True)
    user.add_argument("--name")
    user.set_defaults(run=_create_user)

    member = commands.add_parser("add-member")
    member.add_argument("--org", required=True)
    member.add_argument("--user", required=True)
    member.add_argument("--role", default="member")
    member.set_defaults(run=_add_member)

    team = commands.add_parser("create-team")
    team.add_argument("--org", required=True)
    team.add_argument("--user", required=True, help="the member creating it")
    team.add_argument("--name", required=True)
    team.add_argument("--slug")
    team.set_defaults(run=_create_team)

    project = commands.add_parser("create-project")
    project.add_argument("--org", required=True)
    project.add_argument("--user", required=True, help="the member creating it")
    project.add_argument("--team", required=True)
    project.add_argument("--name", required=True)
    project.add_argument("--slug")
    project.add_argument("--platform")
    project.set_defaults(run=_create_project)

    feature = commands.add_parser("set-project-feature", help="turn a per-project feature on (or --off)")
    feature.add_argument("--org", required=True)
    feature.add_argument("--project", required=True)
    feature.add_argument("--feature", required=True, help="e.g. discard-groups")
    feature.add_argument("--off", action="store_true")
    feature.set_defaults(run=_set_project_feature)

    token = commands.add_parser("create-token")
    owner = token.add_mutually_exclusive_group(required=True)
    owner.add_argument("--user", help="user token for this username or email")
    owner.add_argument("--org", help="organization token (org:ci) for this slug")
    token.add_argument("--scopes", default="org:read,project:read,project:releases,event:read,event:write")
    token.add_argument("--label", default="")
    token.set_defaults(run=_create_token)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.stack:
        use_stack(args.stack)
    try:
        print(json.dumps(args.run(args)))
    except ApiError as error:
        print(json.dumps({"status": error.status_code, "error": error.body()}), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
