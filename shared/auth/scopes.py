"""Scopes as Sentry names them, what each member role grants, and what each kind of request needs."""

from __future__ import annotations

ALL_SCOPES = frozenset(
    {
        "org:read", "org:write", "org:admin", "org:integrations", "org:ci",
        "member:read", "member:write", "member:admin",
        "team:read", "team:write", "team:admin",
        "project:read", "project:write", "project:admin", "project:releases",
        "event:read", "event:write", "event:admin",
        "alerts:read", "alerts:write",
    }
)  # fmt: skip

_MEMBER = frozenset(
    {
        "event:read", "event:write", "event:admin", "project:releases", "project:read",
        "org:read", "member:read", "team:read", "alerts:read", "alerts:write",
    }
)  # fmt: skip
_ADMIN = _MEMBER | {"project:write", "project:admin", "team:write", "team:admin", "org:integrations"}
_MANAGER = _ADMIN | {"member:write", "member:admin", "org:write"}
_OWNER = ALL_SCOPES - {"org:ci"}

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "member": _MEMBER,
    "admin": frozenset(_ADMIN),
    "manager": frozenset(_MANAGER),
    "owner": frozenset(_OWNER),
}
ROLES = tuple(ROLE_SCOPES)

# Roles that see every project of the organization, whatever their teams (Sentry's global access).
GLOBAL_ACCESS_ROLES = frozenset({"manager", "owner"})

# What a request needs: any one of the listed scopes (Sentry's permission scope maps).
ORG_READ = frozenset({"org:read", "org:write", "org:admin"})
TEAM_READ = frozenset({"team:read", "team:write", "team:admin"})
TEAM_WRITE = frozenset({"team:write", "team:admin"})
PROJECT_READ = frozenset({"project:read", "project:write", "project:admin"})
PROJECT_CREATE = frozenset({"project:write", "project:admin"})
PROJECT_WRITE = PROJECT_CREATE
RELEASE_READ = frozenset({"project:read", "project:write", "project:admin", "project:releases", "org:ci"})
RELEASE_WRITE = frozenset({"project:write", "project:admin", "project:releases", "org:ci"})
RELEASE_DELETE = frozenset({"project:admin", "project:releases"})
EVENT_READ = frozenset({"event:read", "event:write", "event:admin"})
EVENT_WRITE = frozenset({"event:write", "event:admin"})
EVENT_ADMIN = frozenset({"event:admin"})
