"""``python -m local``: the whole system on this machine, until Ctrl-C.

Starts the locked moto server, creates the template's tables and queues, seeds the demo
organization, starts the SQS workers and schedules, and serves the API on 127.0.0.1:$PORT."""

from __future__ import annotations

import os
import signal
import sys

from local.system import local_system


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    moto_port = int(os.environ["MOTO_PORT"]) if os.environ.get("MOTO_PORT") else None
    with local_system(serve_api=False, port=port, moto_port=moto_port) as system:
        # Imported only now: the domain reads table names from the environment just provisioned.
        from local.api import start_api_server
        from local.background import Background

        base_url, demo = system.base_url, system.demo
        background = Background(schedule_seconds=float(os.environ.get("LOCAL_SCHEDULE_SECONDS", "10")))
        background.start()
        server = start_api_server("127.0.0.1", port)
        print(
            f"""
Watchtower is running (DynamoDB/SQS: moto server at {system.endpoint})

  Base URL:  {base_url}
  Token:     {demo.token}
  OpenAPI:   {base_url}/api/0/docs

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
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            server.serve_forever()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            server.server_close()
            background.stop()
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
