"""``python -m local``: the whole system on this machine, until Ctrl-C.

Starts the locked moto servers, one for DynamoDB and one for SQS (keeping their tables and queues in
``.local/data`` of the checkout, or ``$LOCAL_DATA_DIR``; ``FRESH=1`` starts empty; ports
``$MOTO_DYNAMODB_PORT`` and ``$MOTO_PORT``, free ones unless set), creates the template's tables and
queues, seeds the demo organization (or finds the kept one), starts the SQS workers and schedules,
and serves the API on 127.0.0.1:$PORT (8000) and the ingestion function's URL, the host the DSNs
name, on 127.0.0.1:$INGEST_PORT (8001). Every function runs in its own Lambda-like worker processes."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from pathlib import Path

from local.system import local_system

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".local" / "data"


def _data_dir() -> Path:
    data_dir = Path(os.environ.get("LOCAL_DATA_DIR") or DEFAULT_DATA_DIR)
    if os.environ.get("FRESH", "").strip() not in ("", "0"):
        shutil.rmtree(data_dir, ignore_errors=True)
    return data_dir


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    ingest_port = int(os.environ.get("INGEST_PORT", "8001"))
    moto_port = int(os.environ["MOTO_PORT"]) if os.environ.get("MOTO_PORT") else None
    dynamodb_port = int(os.environ["MOTO_DYNAMODB_PORT"]) if os.environ.get("MOTO_DYNAMODB_PORT") else None
    data_dir = _data_dir()
    # the moto server's SES writes each alert email here (local.mail_outbox)
    os.environ.setdefault("LOCAL_MAIL_DIR", str(data_dir.parent / "mail"))
    # the event search's Parquet copies of the kept events (shared.search.copies), kept with them
    os.environ.setdefault("EVENT_SEARCH_COPIES_DIR", str(data_dir / "event-search"))
    schedule_seconds = float(os.environ.get("LOCAL_SCHEDULE_SECONDS", "10"))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    # warm: people's first requests do not wait for a cold start
    with local_system(
        port,
        moto_port,
        True,
        schedule_seconds,
        data_dir,
        warm=True,
        dynamodb_port=dynamodb_port,
        ingest_port=ingest_port,
    ) as system:
        base_url, demo = system.base_url, system.demo
        kept = "kept from the last run" if system.restored else "new; FRESH=1 starts empty again"
        print(
            f"""
Watchtower is running (DynamoDB at {system.dynamodb_endpoint}, SQS at {system.endpoint})

  Base URL:  {base_url}
  Ingest:    {system.ingest_url} (the DSNs' host, as the ingestion function's URL serves it)
  Token:     {demo.token}
  OpenAPI:   {base_url}/api/0/docs
  Data:      {data_dir} ({kept})

Open in a browser (signs the demo user in; the token stays in the URL fragment, never sent to a server):
  {base_url}/#token={demo.token}&org={demo.org}

Try it:
  curl -s -X POST -H 'Authorization: Bearer {demo.token}' -H 'Content-Type: application/json' \\
       -d '{{"name": "My Service"}}' {base_url}/api/0/teams/{demo.org}/{demo.team}/projects/ \\
    && curl -s -H 'Authorization: Bearer {demo.token}' {base_url}/api/0/projects/{demo.org}/my-service/

For sentry-cli:
  export SENTRY_URL={base_url}
  export SENTRY_AUTH_TOKEN={demo.token}
  export SENTRY_ORG={demo.org}
  export SENTRY_PROJECT={demo.project}

For sentry-sdk (errors and messages become issues):
  export SENTRY_DSN={demo.dsn}

Press Ctrl-C to stop.
""",
            flush=True,
        )
        stopping.wait()
    print("stopped", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
