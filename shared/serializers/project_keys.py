"""Project DSN keys as Sentry's ProjectKeySerializer shows them (the ``id`` is the public key)."""

from __future__ import annotations

from typing_extensions import TypedDict

from shared.projects.keys import dsn
from shared.serializers.dates import format_datetime
from shared.storage.accounts import ProjectKey


class DsnBody(TypedDict):
    public: str
    secret: str


class ProjectKeyBody(TypedDict):
    id: str
    name: str | None
    label: str | None
    public: str
    secret: str
    projectId: int
    isActive: bool
    rateLimit: None
    dsn: DsnBody
    dateCreated: str | None


def serialize_project_key(key: ProjectKey) -> ProjectKeyBody:
    """Only the DSN forms this server accepts are listed (``public`` and ``secret``): Sentry's CSP,
    minidump, Unreal, crons and loader URLs would name endpoints that do not exist here."""
    return {
        "id": key.public_key,
        "name": key.label,
        "label": key.label,
        "public": key.public_key,
        "secret": key.secret_key,
        "projectId": key.project_id,
        "isActive": bool(key.is_active),
        "rateLimit": None,
        "dsn": {"public": dsn(key), "secret": dsn(key, with_secret=True)},
        "dateCreated": format_datetime(key.date_created),
    }
