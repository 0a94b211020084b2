"""Lambda's concurrency model on this machine: per function, a pool of execution environments.

An environment is a worker process that imports its function's handler once and then runs one
event at a time, start to finish (``local.lambda_runtime``). An invocation takes an idle environment
of its function or, when all are busy, starts a new one (a real cold start), up to a cap per
function; beyond it, invocations wait for one to be free. The HTTP server, the queue pollers and the
schedules all invoke through here, so there is one way an event reaches a handler.

An environment keeps the configuration (the function's environment variables) it started with, as
on Lambda: when the configuration changes, idle environments are retired and new ones start.

An event that runs past its function's template ``Timeout`` is stopped as Lambda stops it: the
environment is killed (the next event gets a new one) and the invocation fails with
``InvocationTimedOut``, which the HTTP API answers 503 and the queue pollers leave on the queue.
The clock starts when the event is handed over, after the cold start, as Lambda's does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

from local import metering
from local.resources import LOCAL_ENVIRONMENT
from local.template import load_template, resources

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MAX_ENVIRONMENTS = 4
DEFAULT_TIMEOUT_SECONDS = 3.0  # Lambda's default, for a function the template gives none
WARM_TIMEOUT_SECONDS = 60.0


@lru_cache(maxsize=1)
def _configuration_keys() -> tuple[str, ...]:
    """The variables that make up a function's configuration: the template's and the local ones
    (read once: every invocation compares them)."""
    template = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    return tuple(sorted({*template, *LOCAL_ENVIRONMENT, "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"}))


def configuration() -> tuple[str | None, ...]:
    """The current values of the configuration variables (what a new environment would see)."""
    return tuple(os.environ.get(key) for key in _configuration_keys())


class InvocationFailed(Exception):
    """The handler raised or its environment died (an HTTP API answers 500, SQS redelivers)."""


class InvocationTimedOut(InvocationFailed):
    """The handler ran past the function's timeout; its environment was killed."""


class Environment:
    """One worker process serving one function, one event at a time."""

    def __init__(self, function: str, handler: str, output: IO[str] | None = None) -> None:
        self.function = function
        self.ready = False
        self.configuration = configuration()
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.lambda_runtime", str(theirs.fileno()), handler, function],
            pass_fds=(theirs.fileno(),),
            cwd=ROOT,
            stdout=output,
            stderr=output,
            start_new_session=True,  # a Ctrl-C stops the system, which then closes its environments
        )
        theirs.close()
        self.connection = Connection(ours.detach())

    def wait_ready(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until the handler's module is imported. An environment
        that died importing is left as it is: its first event reports it."""
        try:
            if not self.ready and self.connection.poll(timeout):
                self.connection.recv()
                self.ready = True
        except (EOFError, OSError):
            pass

    def invoke(self, event: dict[str, Any], timeout: float) -> Any:
        """Run ``event`` to completion within ``timeout`` seconds; the requests it made (and the
        messages it sent) go to the meters of the context that invoked it (``local.metering``)."""
        try:
            if not self.ready:  # the cold start: the handler's module is imported
                self.connection.recv()
                self.ready = True
            self.connection.send((event, str(uuid.uuid4())))
            if not self.connection.poll(timeout):
                self.process.kill()
                raise InvocationTimedOut(f"{self.function}: task timed out after {timeout:.2f} seconds")
            status, value, calls, units, sent = self.connection.recv()
        except (EOFError, OSError) as error:
            raise EnvironmentDied(f"{self.function}: environment exited ({self.process.poll()})") from error
        metering.record(calls, units, sent)
        if status != "ok":
            raise InvocationFailed(f"{self.function}: {value}")
        return value

    def close(self) -> None:
        self.connection.close()  # the runtime's recv() ends: it exits

    def wait(self) -> None:
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class EnvironmentDied(InvocationFailed):
    """The worker process exited mid-invocation (a crash); it is not reused."""


class FunctionPool:
    """The environments of one function: idle ones are reused, more start when all are busy."""

    def __init__(
        self, function: str, handler: str, limit: int, output: IO[str] | None = None, timeout: float = 30.0
    ) -> None:
        self.function, self.handler, self.output, self.timeout = function, handler, output, timeout
        self.limit = limit
        self.slots = threading.BoundedSemaphore(limit)
        self.lock = threading.Lock()
        self.idle: list[Environment] = []
        self.started = 0

    def _take(self) -> Environment:
        current = configuration()
        stale: list[Environment] = []
        with self.lock:
            while self.idle:
                environment = self.idle.pop()
                if environment.configuration == current:
                    break
                stale.append(environment)
            else:
                environment = None
            if environment is None:
                self.started += 1
        for old in stale:
            old.close()  # it exits on its own: nobody waits for it
        return environment or Environment(self.function, self.handler, self.output)

    def invoke(self, event: dict[str, Any]) -> Any:
        with self.slots:
            environment = self._take()
            try:
                result = environment.invoke(event, self.timeout)
            except (EnvironmentDied, InvocationTimedOut):
                environment.close()
                environment.wait()
                raise
            except BaseException:
                self._release(environment)
                raise
            self._release(environment)
            return result

    def _release(self, environment: Environment) -> None:
        with self.lock:
            self.idle.append(environment)

    def warm(self, environments: int = 1) -> list[Environment]:
        """Have ``environments`` started (at most the cap): their processes import the handler
        while nobody waits for them (what provisioned concurrency does on Lambda). Returns the
        environments it started."""
        with self.lock:
            missing = max(0, min(environments, self.limit) - self.started)
            self.started += missing
        started = [Environment(self.function, self.handler, self.output) for _ in range(missing)]
        for environment in started:
            self._release(environment)
        return started

    def close(self) -> list[Environment]:
        """Tell the idle environments to exit; returns them, to be waited for."""
        with self.lock:
            environments, self.idle = self.idle, []
        for environment in environments:
            environment.close()
        return environments


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str
    timeout: float = DEFAULT_TIMEOUT_SECONDS


def template_functions() -> dict[str, FunctionSpec]:
    """Every function of the template, with its ``Timeout`` (its own, else the global one)."""
    default = load_template()["Globals"]["Function"].get("Timeout", DEFAULT_TIMEOUT_SECONDS)
    return {
        name: FunctionSpec(name, props["Handler"], float(props.get("Timeout", default)))
        for name, props in resources("AWS::Serverless::Function").items()
    }


class LocalLambda:
    """The Lambda service for every function of the template (pools created on first use)."""

    def __init__(
        self,
        functions: Mapping[str, FunctionSpec] | None = None,
        limit: int | None = None,
        output: IO[str] | None = None,
    ) -> None:
        self.functions = dict(functions or template_functions())
        self.limit = limit or int(os.environ.get("LOCAL_MAX_ENVIRONMENTS", DEFAULT_MAX_ENVIRONMENTS))
        self.output = output
        self.pools: dict[str, FunctionPool] = {}
        self.lock = threading.Lock()

    def pool(self, function: str) -> FunctionPool:
        with self.lock:
            if function not in self.pools:
                spec = self.functions[function]
                self.pools[function] = FunctionPool(
                    spec.name, spec.handler, self.limit, self.output, spec.timeout
                )
            return self.pools[function]

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        """Run ``event`` on an environment of ``function`` and return the handler's result; raises
        ``InvocationFailed`` when the handler raised or its environment died, ``InvocationTimedOut``
        (one of them) when it ran past the function's timeout."""
        return self.pool(function).invoke(event)

    def warm(self, environments: Mapping[str, int] | None = None) -> None:
        """Environments of every function started at once, so that nobody's first request waits
        for a cold start: one each, or as many as ``environments`` names (up to the cap) for a
        function that takes bursts of concurrent events. Returns once they have all imported their
        handlers (at most ``WARM_TIMEOUT_SECONDS``): started together they share the machine's
        cores for a few seconds, and a request sent meanwhile would wait behind all of them."""
        started = [
            environment
            for function in self.functions
            for environment in self.pool(function).warm((environments or {}).get(function, 1))
        ]
        deadline = time.monotonic() + WARM_TIMEOUT_SECONDS
        for environment in started:
            environment.wait_ready(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        with self.lock:
            pools = list(self.pools.values())
        closing = [environment for pool in pools for environment in pool.close()]
        for environment in closing:  # all exit at once
            environment.wait()
