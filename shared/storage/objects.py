"""Objects on S3 (events, attachments, uploaded artifacts): one client per process, built from the
process's botocore session (``shared.storage.dynamodb.session``), with the same retries as every
other request. Callers name the bucket (``settings().<x>_bucket``) in the function that makes the
call, so the least-privilege reading (``infra/access.py``) can tell which bucket a call acts on."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from botocore.config import Config


@lru_cache(maxsize=1)
def s3() -> Any:
    """The process's S3 client. Path-style addresses: buckets are reached as ``<endpoint>/<bucket>``,
    which works on AWS and on a local endpoint alike (no per-bucket host names to resolve)."""
    from shared.config import settings
    from shared.storage.dynamodb import session

    config = Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "max_attempts": 5})
    return session().create_client("s3", region_name=settings().region, config=config)
