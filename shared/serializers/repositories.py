"""Repositories as Sentry serializes them. sentry-cli's ``set-commits`` reads the list and needs
``id`` (a string), ``name``, ``provider {id, name}``, ``status`` and ``dateCreated``."""

from __future__ import annotations

from typing_extensions import TypedDict

from shared.serializers.dates import format_datetime
from shared.storage.releases import Repository


class ProviderBody(TypedDict):
    id: str
    name: str


class RepositoryBody(TypedDict):
    id: str
    name: str
    url: str | None
    provider: ProviderBody
    status: str
    dateCreated: str | None
    integrationId: None
    externalSlug: str | None
    externalId: None


# Display names of the providers Sentry knows; any other provider id is shown as given.
_PROVIDER_NAMES = {
    "github": "GitHub",
    "github_enterprise": "GitHub Enterprise",
    "gitlab": "GitLab",
    "bitbucket": "Bitbucket",
    "bitbucket_server": "Bitbucket Server",
    "vsts": "Azure DevOps",
    "visualstudio": "Azure DevOps",
}
# Sentry's answer for a repository without a provider (one created by a release's commits).
_UNKNOWN_PROVIDER = {"id": "unknown", "name": "Unknown Provider"}


def provider_info(provider: str | None) -> ProviderBody:
    if not provider:
        return ProviderBody(**_UNKNOWN_PROVIDER)
    name = _PROVIDER_NAMES.get(provider.removeprefix("integrations:"), provider)
    return {"id": provider, "name": name}


def serialize_repository(repository: Repository) -> RepositoryBody:
    return {
        "id": str(repository.id),
        "name": repository.name,
        "url": repository.url,
        "provider": provider_info(repository.provider),
        "status": repository.status,
        "dateCreated": format_datetime(repository.date_created),
        "integrationId": None,
        "externalSlug": repository.external_slug,
        "externalId": None,
    }
