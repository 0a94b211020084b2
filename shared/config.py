"""Settings read from the environment, so the same code runs on AWS and against the local moto server.

The endpoint is deliberately absent: boto3 and PynamoDB both honour ``AWS_ENDPOINT_URL`` themselves,
so pointing the app at moto is a matter of environment, never of code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    """Names and knobs of one deployment (table and queue names come from the SAM template)."""

    region: str
    accounts_table: str
    counters_table: str
    releases_table: str
    issues_table: str
    deletion_queue_url: str
    release_commits_queue_url: str
    events_queue_url: str
    events_bucket: str
    artifacts_bucket: str
    event_retention_days: int
    artifact_retention_days: int
    public_url: str
    snowflake_region_id: int
    tracing_enabled: bool
    deletion_delay_seconds: int
    notifications_queue_url: str = ""
    mail_from: str = "watchtower@example.com"
    # Webhooks to private, loopback or link-local addresses: refused on AWS, allowed by `make run`.
    allow_private_webhooks: bool = False
    # Where SDKs send events (the ingestion function's URL); empty - the public URL (API Gateway).
    ingest_url: str = ""
    # The event search's Athena work group and Glue database; none: DuckDB in the process.
    athena_workgroup: str = ""
    athena_database: str = ""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Read the environment once per process (a Lambda container keeps it for its lifetime)."""
    env = os.environ
    return Settings(
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        accounts_table=env.get("ACCOUNTS_TABLE", "watchtower-accounts"),
        counters_table=env.get("COUNTERS_TABLE", "watchtower-counters"),
        releases_table=env.get("RELEASES_TABLE", "watchtower-releases"),
        issues_table=env.get("ISSUES_TABLE", "watchtower-issues"),
        deletion_queue_url=env.get("DELETION_QUEUE_URL", ""),
        release_commits_queue_url=env.get("RELEASE_COMMITS_QUEUE_URL", ""),
        events_queue_url=env.get("EVENTS_QUEUE_URL", ""),
        events_bucket=env.get("EVENTS_BUCKET", "watchtower-events"),
        artifacts_bucket=env.get("ARTIFACTS_BUCKET", "watchtower-artifacts"),
        event_retention_days=int(env.get("EVENT_RETENTION_DAYS", "90")),
        artifact_retention_days=int(env.get("ARTIFACT_RETENTION_DAYS", "90")),
        public_url=env.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        snowflake_region_id=int(env.get("SNOWFLAKE_REGION_ID", "0")),
        tracing_enabled=_flag(env.get("TRACING_ENABLED")),
        deletion_delay_seconds=int(env.get("DELETION_DELAY_SECONDS", "3600")),
        notifications_queue_url=env.get("NOTIFICATIONS_QUEUE_URL", ""),
        mail_from=env.get("MAIL_FROM") or "watchtower@example.com",
        allow_private_webhooks=_flag(env.get("ALLOW_PRIVATE_WEBHOOKS")),
        ingest_url=env.get("INGEST_URL", "").rstrip("/"),
        athena_workgroup=env.get("ATHENA_WORKGROUP", ""),
        athena_database=env.get("ATHENA_DATABASE", ""),
    )
