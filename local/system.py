"""The local system inside this process: locked moto servers with the template's tables (one process)
and queues (another), the demo organization, the Lambda pools, the local API and the ingestion
function's URL (a host of its own, which the DSNs name) in threads and, if asked, the queue consumers
and schedules. ``python -m local`` and the benchmarks use it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from local.background import pollers
from local.dynamodb_local import start_dynamodb, stop
from local.lambda_pool import LocalLambda
from local.moto_server import free_port, start_process
from local.moto_snapshot import SNAPSHOT_NAME
from local.resources import provision
from local.template import queue_consumers, routes

if TYPE_CHECKING:
    from local.seed import Demo

DEMO_FILE = "demo.json"


@dataclass
class LocalSystem:
    base_url: str
    ingest_url: str  # the ingestion function's URL, the host DSNs name
    endpoint: str  # SQS and every other service but DynamoDB
    dynamodb_endpoint: str
    demo: Demo
    service: LocalLambda
    restored: bool = False  # data (and the demo organization) came back from ``data_dir``


def _demo(data_dir: Path | None) -> tuple[Demo, bool]:
    """The demo organization: the kept one (its token is stored only hashed, so the printed one is
    kept beside the data), or a new one."""
    from local.seed import Demo, seed_demo
    from shared.accounts.organizations import find_organization
    from shared.projects.keys import dsn, list_project_keys
    from shared.storage.accounts import Project

    kept = data_dir / DEMO_FILE if data_dir is not None else None
    if kept is not None and kept.exists() and (data_dir / SNAPSHOT_NAME).exists():
        demo = Demo(**json.loads(kept.read_text(encoding="utf-8")))
        org = find_organization(demo.org)
        if org is not None:
            project = Project.get(*Project.key(org.id, demo.project))
            return Demo(**{**asdict(demo), "dsn": dsn(list_project_keys(project)[0])}), True
    demo = seed_demo()
    if kept is not None:
        kept.write_text(json.dumps(asdict(demo)), encoding="utf-8")
    return demo, False


def burst_environments() -> dict[str, int]:
    """Functions that take concurrent events in bursts, with the environments started for them
    before any event: the ingestion function as many as its cap allows (SDKs of many clients send
    at once; a cold start is an import of about a second on this machine, which would stall the
    first burst), each queue consumer one per poller."""
    ingestion = {route.function: 1_000 for route in routes() if route.path.endswith("/envelope")}
    return {**ingestion, **{consumer.function: pollers(consumer) for consumer in queue_consumers()}}


@contextmanager
def local_system(
    port: int | None = None,
    moto_port: int | None = None,
    background: bool = False,
    schedule_seconds: float | None = None,
    data_dir: Path | None = None,
    warm: bool = False,
    dynamodb_port: int | None = None,
    ingest_port: int | None = None,
) -> Iterator[LocalSystem]:
    """Start everything (on free ports unless told: ``moto_port`` for SQS and the other services,
    ``dynamodb_port`` for DynamoDB, ``ingest_port`` for the ingestion function's URL), yield it, and
    stop it all on exit (also on errors), the moto servers last so that they save what the workers
    wrote. With ``data_dir`` the tables, the queues, the buckets and the demo organization are kept
    there across restarts; with ``warm`` environments of every function are started at once
    (``burst_environments``), as ``make run`` does."""
    moto, endpoint = start_process(moto_port, data_dir, kept=("sqs", "s3"))
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    ingest_url = f"http://127.0.0.1:{ingest_port or free_port()}"
    with ExitStack() as stack:
        stack.callback(moto.wait, timeout=10)
        stack.callback(moto.terminate)
        # its own moto server, or DynamoDB Local when WATCHTOWER_DYNAMODB asks
        dynamodb, dynamodb_url = start_dynamodb(dynamodb_port, data_dir)
        stack.callback(stop, dynamodb)
        provision(endpoint, public_url=base_url, dynamodb_url=dynamodb_url, ingest_url=ingest_url)
        # Imported only now: the domain reads table names from the environment just provisioned.
        from local.api import start_api_server
        from local.background import Background
        from local.function_url import start_function_url_server

        demo, restored = _demo(data_dir)
        service = LocalLambda()
        stack.callback(service.close)
        if warm:
            service.warm(burst_environments())
        for server in (
            start_api_server("127.0.0.1", port, service),
            start_function_url_server("127.0.0.1", int(ingest_url.rsplit(":", 1)[1]), service),
        ):
            threading.Thread(target=server.serve_forever, daemon=True).start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
        if background:
            workers = Background(service.invoke, schedule_seconds)
            workers.start()
            stack.callback(workers.stop)
        yield LocalSystem(base_url, ingest_url, endpoint, dynamodb_url, demo, service, restored)
