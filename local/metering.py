"""Count the AWS requests of what a meter measures, for tests and benchmarks that pin round-trips per
operation: never another request's, whatever ran at the same time.

A meter belongs to the context that opened it (its thread, and the tasks that thread hands to a
``ThreadPoolExecutor``, which run in a copy of its context). It counts:

- requests made in that context (boto3 and PynamoDB both go through botocore's
  ``BaseClient._make_api_call``);
- the requests of the Lambda invocations it caused, as each environment reports them
  (``local.lambda_pool``): those it invoked directly, and those of the HTTP requests it sent to the
  local API, which carry the ids of its meters in the ``X-Local-Meter`` header (added to every HTTP
  request sent from a metered context; ``request_headers()`` gives it to a client in another
  process, such as sentry-cli). The local API takes the header off before API Gateway's translation
  and invokes on the meters' behalf (``on_behalf_of``);
- with ``background=True``, the queue consumers' invocations its own requests caused: a batch that
  holds a message sent by one of its invocations (or by such a batch, and so on down the chain)
  counts whole, as that batch's invocation is what the message cost (``caused_by``).

So a meter never counts another thread's requests, another HTTP request served meanwhile, a batch of
messages someone else sent, or a scheduled invocation (no request causes one). The services that
stand in for AWS (the local API's threads, the queue pollers, the schedules) meter nothing of their
own: their receives and deletes are AWS's requests, not the code's.

With ``LOCAL_METER_CAPACITY=1`` in the environment (processes started later inherit it), DynamoDB
requests also ask for ``ReturnConsumedCapacity`` and the units the engine reports are summed as
``read_units`` and ``write_units`` (``meter_capacity``), for the cost benchmark."""

from __future__ import annotations

import contextvars
import http.client
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient

CAPACITY_VARIABLE = "LOCAL_METER_CAPACITY"
METER_HEADER = "X-Local-Meter"
METER_ENVIRON = "HTTP_X_LOCAL_METER"  # the header as a WSGI server hands it over
READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


@dataclass(eq=False)
class Meter:
    """What one open meter has counted, and the messages its invocations sent (with
    ``background``, the batches that carry them count for it)."""

    background: bool
    calls: Counter[str] = field(default_factory=Counter)
    units: Counter[str] = field(default_factory=Counter)
    sent: set[str] = field(default_factory=set)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


_lock = threading.Lock()
_open: dict[str, Meter] = {}
_owners: dict[str, set[Meter]] = {}  # message id → the background meters whose requests sent it
_current: contextvars.ContextVar[tuple[Meter, ...]] = contextvars.ContextVar("meters", default=())

_original_call = BaseClient._make_api_call
_original_putrequest = http.client.HTTPConnection.putrequest
_original_submit = ThreadPoolExecutor.submit


def _counting(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
    meters = _current.get()
    if not meters:
        return _original_call(self, operation_name, api_params)
    with _lock:
        for meter in _still_open(meters):
            meter.calls[operation_name] += 1
    capacity = operation_name in READS | WRITES and os.environ.get(CAPACITY_VARIABLE) == "1"
    if capacity:
        api_params = {**api_params, "ReturnConsumedCapacity": "TOTAL"}
    response = _original_call(self, operation_name, api_params)
    if capacity:
        consumed = response.get("ConsumedCapacity") or []
        consumed = consumed if isinstance(consumed, list) else [consumed]
        units = sum(c.get("CapacityUnits", 0.0) for c in consumed)
        record({}, {"read_units" if operation_name in READS else "write_units": units})
    if operation_name == "SendMessage":
        _caused(meters, [response["MessageId"]])
    elif operation_name == "SendMessageBatch":
        _caused(meters, [entry["MessageId"] for entry in response.get("Successful", [])])
    return response


def _tagging_putrequest(self: http.client.HTTPConnection, *args: Any, **kwargs: Any) -> None:
    _original_putrequest(self, *args, **kwargs)
    for name, value in request_headers().items():
        self.putheader(name, value)


def _submit_in_context(self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """A task handed to a thread pool runs in a copy of the submitter's context: its requests are
    the submitter's."""
    return _original_submit(self, contextvars.copy_context().run, fn, *args, **kwargs)


def _install(on: bool) -> None:
    BaseClient._make_api_call = _counting if on else _original_call  # type: ignore[method-assign]
    http.client.HTTPConnection.putrequest = _tagging_putrequest if on else _original_putrequest  # type: ignore[method-assign]
    ThreadPoolExecutor.submit = _submit_in_context if on else _original_submit  # type: ignore[method-assign]


@contextmanager
def _metering(meters: tuple[Meter, ...]) -> Iterator[None]:
    token = _current.set(meters)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def open_meter(background: bool = False) -> Iterator[Meter]:
    """A meter for the block (see the module's rules), nested inside any already open here."""
    meter = Meter(background)
    with _lock:
        if not _open:
            _install(True)
        _open[meter.id] = meter
    try:
        with _metering((*_current.get(), meter)):
            yield meter
    finally:
        with _lock:
            del _open[meter.id]
            for message in meter.sent:
                owners = _owners.get(message)
                if owners is not None:
                    owners.discard(meter)
                    if not owners:
                        del _owners[message]
            if not _open:
                _install(False)


@contextmanager
def count_requests(background: bool = False) -> Iterator[Counter[str]]:
    """Yield a Counter of operation name → requests the block caused (see the module's rules).

    With ``background``, the queue consumers' batches of messages its requests sent count too: a
    block that waits for its events to be processed."""
    with open_meter(background) as meter:
        yield meter.calls


@contextmanager
def meter_capacity() -> Iterator[Counter[str]]:
    """Yield a Counter of the capacity units (``read_units``, ``write_units``) the block caused,
    processing of its messages included, as the engine reports them (requests count only with
    ``LOCAL_METER_CAPACITY=1``)."""
    with open_meter(background=True) as meter:
        yield meter.units


@contextmanager
def unmetered() -> Iterator[None]:
    """Requests made in this context while the block runs count for no meter: the local queue
    pollers stand in for Lambda's event source mappings (and the schedule threads for EventBridge),
    and a test's waiting for a queue to empty is the caller's asking, not the code's."""
    with _metering(()):
        yield


@contextmanager
def on_behalf_of(header: str | None) -> Iterator[None]:
    """Run the block for the meters an HTTP request's ``X-Local-Meter`` header names (those still
    open), and for no other: how the local API attributes the invocation it makes for a request."""
    ids = [part for part in (header or "").split(",") if part]
    with _lock:
        meters = tuple(_open[meter_id] for meter_id in ids if meter_id in _open)
    with _metering(meters):
        yield


@contextmanager
def caused_by(messages: Iterable[str]) -> Iterator[None]:
    """Run the block (a queue consumer's invocation) for the meters open here and for the background
    meters whose requests sent any of ``messages``."""
    with _lock:
        owners = {meter for message in messages for meter in _owners.get(message, ())}
    current = _current.get()
    with _metering((*current, *(meter for meter in owners if meter not in current))):
        yield


def request_headers() -> dict[str, str]:
    """The header that ties an HTTP request to the meters open here (empty when none is)."""
    meters = _current.get()
    return {METER_HEADER: ",".join(meter.id for meter in meters)} if meters else {}


def record(
    calls: Mapping[str, int], units: Mapping[str, float] | None = None, sent: Collection[str] = ()
) -> None:
    """Add requests, capacity units and sent messages of an invocation made on this context's behalf
    (a Lambda environment's report) to the meters open here."""
    meters = _current.get()
    with _lock:
        for meter in _still_open(meters):
            meter.calls.update(calls)
            meter.units.update(units or {})
    _caused(meters, sent)


def _still_open(meters: tuple[Meter, ...]) -> list[Meter]:
    """Those of ``meters`` not closed yet (call with the lock held): a request that outlives its
    meter (a client that gave up waiting) adds nothing to figures already read."""
    return [meter for meter in meters if meter.id in _open]


def _caused(meters: tuple[Meter, ...], messages: Collection[str]) -> None:
    """Messages sent on behalf of ``meters``: their batches count for the background ones."""
    if not messages:
        return
    with _lock:
        background = {meter for meter in _still_open(meters) if meter.background}
        if not background:
            return
        for message in messages:
            _owners.setdefault(message, set()).update(background)
        for meter in background:
            meter.sent.update(messages)


@dataclass
class Measured:
    """What one call cost: requests by operation, wall time, and what it returned."""

    calls: Counter[str]
    ms: float
    result: Any

    @property
    def requests(self) -> int:
        return sum(self.calls.values())


def measure(call: Callable[[], Any], background: bool = False) -> Measured:
    """Run ``call`` once, counting the AWS requests it caused (with ``background``, the processing
    of the messages it sent too) and its time."""
    with count_requests(background) as calls:
        start = time.perf_counter()
        result = call()
        elapsed = (time.perf_counter() - start) * 1000
    return Measured(calls, elapsed, result)
