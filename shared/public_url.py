"""The URL clients reach this deployment at: DSNs, organization tokens, permalinks and ``Link``
headers are built on it.

It is configured (``PUBLIC_URL``: a custom domain, or the local server) or, when left empty, taken
from the API Gateway request being served: ``requestContext.domainName`` and ``stage`` are set by
API Gateway itself (never by the client's ``Host`` header), and the stage is part of the path unless
it is HTTP API's ``$default``. A function cannot be told its own API's URL by the template (the API
depends on the functions), so this is how a deployment without a domain still hands out working
DSNs."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from shared.config import settings

_served: ContextVar[str] = ContextVar("served_base_url", default="")


def base_url_of(event: dict[str, Any]) -> str:
    """``https://<api domain>[/<stage>]`` of an API Gateway event; empty when it names no domain."""
    context = event.get("requestContext") or {}
    domain = context.get("domainName")
    if not domain:
        return ""
    stage = context.get("stage")
    return f"https://{domain}" + ("" if stage in (None, "", "$default") else f"/{stage}")


def remember_request(event: dict[str, Any]) -> None:
    """Note the URL the current request was served at (one request at a time per environment)."""
    _served.set(base_url_of(event))


def public_url() -> str:
    """The configured public URL, else the one the current request reached; no trailing slash."""
    return settings().public_url or _served.get()


def ingest_url() -> str:
    """Where SDKs send events, as the DSN names it: the ingestion function's own URL when the
    deployment serves one (``INGEST_URL``: a Lambda function URL, no per-request charge, on a host
    of its own as Sentry's ``oNNN.ingest.sentry.io``), else the public URL, whose API Gateway routes
    ingest too. No trailing slash."""
    return settings().ingest_url or public_url()
