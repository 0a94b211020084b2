"""One Lambda execution environment: ``python -m local.lambda_runtime FD HANDLER FUNCTION``.

Imports the handler once (the cold start) and says ``ready`` (the function's timeout counts from
each event after it), then takes one event at a time from the connection on file descriptor ``FD``
and answers with the handler's result, the AWS requests it made and the messages it sent (the
batches that carry them are work it caused), until the connection closes.
Never two events at once: module-level state (powertools' current event, the logger's Lambda
context) belongs to the one invocation running, as on Lambda."""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from local.lambda_context import LocalContext
from local.metering import open_meter

Handler = Callable[[dict[str, Any], Any], Any]


def load_handler(handler: str) -> Handler:
    """The callable a template ``Handler`` string (``package.module.attribute``) names."""
    module, _, attribute = handler.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def serve(connection: Connection, handler_name: str, function: str) -> None:
    handler = load_handler(handler_name)
    try:
        connection.send("ready")  # the cold start is over: the function's timeout applies from here
    except BrokenPipeError:  # the system stopped while this environment was starting
        return
    while True:
        try:
            event, request_id = connection.recv()
        except (EOFError, ConnectionResetError):  # closed (before its "ready" was read: a reset)
            return
        with open_meter(background=True) as meter:
            try:
                reply: tuple[str, Any] = (
                    "ok",
                    handler(event, LocalContext(function, aws_request_id=request_id)),
                )
            except Exception as error:  # Lambda reports the error; the environment lives on
                traceback.print_exc()
                reply = ("error", f"{type(error).__name__}: {error}")
        sys.stdout.flush()
        connection.send((*reply, dict(meter.calls), dict(meter.units), sorted(meter.sent)))


def main() -> None:
    fd, handler_name, function = sys.argv[1:4]
    serve(Connection(int(fd)), handler_name, function)


if __name__ == "__main__":
    main()
