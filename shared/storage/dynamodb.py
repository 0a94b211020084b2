"""The one place every DynamoDB call goes through: retries of faults, and the engine's limits.

Every client (PynamoDB's and boto3's) is built by botocore, so the rules live as botocore event
handlers, added to the handlers every botocore session installs when it is created:

- Throttling (``ProvisionedThroughputExceededException``, ``ThrottlingException``,
  ``RequestLimitExceeded``) and ``InternalServerError`` are botocore's *standard* retry mode (capped
  exponential backoff with jitter, and a retry quota that stops retry storms); we only raise its
  attempt count (``DYNAMODB_MAX_ATTEMPTS``).
- ``TransactionCanceledException`` caused only by ``TransactionConflict`` (another writer held an
  item; nothing was written) is not retried by botocore: the same backoff is applied here.
- ``UnprocessedItems`` / ``UnprocessedKeys``: PynamoDB resends them at once; here the resend waits a
  capped, jittered, growing delay, and after ``DYNAMODB_MAX_ATTEMPTS`` partial answers in a row the
  call is refused with :class:`StorageBusy`.

A conditional-check failure is not a fault: it is a lost race, which the caller decides again from
a fresh read. When the budget is spent the error reaches the handler, which answers 503 (management
API) or 429 (ingestion) with ``Retry-After``; SQS workers fail the record so SQS redelivers it.

Engines older than today's DynamoDB (DynamoDB Local's 2020 build) are described by settings read
from the environment: ``DYNAMODB_MAX_TRANSACTION_ITEMS`` (AWS: 100) bounds transactions, and
``DYNAMODB_EMPTY_STRINGS=refused`` stores empty non-key strings as a marker that reads back as ``""``
(AWS allows them since 2020). See docs/decisions.md §storage.4.
"""

from __future__ import annotations

import os
import random
import threading
import time
from functools import lru_cache
from typing import Any

import botocore.session
from botocore import handlers
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as EndpointUnreachable
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from shared.config import settings

# Faults that mean "not now": retried, then refused with Retry-After.
THROTTLING = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
FAULTS = THROTTLING | {"InternalServerError", "TransactionConflict"}
TRANSACTION_CANCELED = "TransactionCanceledException"
AWS_MAX_TRANSACTION_ITEMS = 100
BASE_DELAY = 0.025
MAX_DELAY = 1.0
RETRY_AFTER_SECONDS = 1
# Stands for "" where the engine refuses empty strings; a control character no client sends.
EMPTY_STRING_MARKER = "\x00"


class StorageBusy(Exception):
    """DynamoDB kept refusing work after every retry: the caller should try again later."""


def max_attempts() -> int:
    """Attempts per DynamoDB call, first included (botocore's default for DynamoDB is 4)."""
    return int(os.environ.get("DYNAMODB_MAX_ATTEMPTS", "8"))


def max_transaction_items() -> int:
    """The largest transaction the engine accepts (AWS: 100 items; DynamoDB Local 2020: 10)."""
    return int(os.environ.get("DYNAMODB_MAX_TRANSACTION_ITEMS", str(AWS_MAX_TRANSACTION_ITEMS)))


def _empty_strings_refused() -> bool:
    return os.environ.get("DYNAMODB_EMPTY_STRINGS", "allowed").strip().lower() == "refused"


def retry_configuration() -> dict[str, Any]:
    """botocore's standard retry mode, for every client (PynamoDB's ``Meta`` and boto3's)."""
    return {"mode": "standard", "total_max_attempts": max_attempts()}


def backoff(attempt: int) -> float:
    """Full-jitter exponential backoff for retry ``attempt`` (1-based), capped at ``MAX_DELAY``."""
    return random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2**attempt))


def _reason_codes(response: dict[str, Any]) -> list[str]:
    """The cancellation reason of each operation of a cancelled transaction (``None`` when fine)."""
    return [reason.get("Code", "None") for reason in response.get("CancellationReasons", [])]


def _only_conflicts(codes: list[str]) -> bool:
    return "TransactionConflict" in codes and set(codes) <= {"TransactionConflict", "None"}


def is_fault(error: BaseException) -> bool:
    """Whether ``error`` is a DynamoDB fault whose retry budget was spent (not a client mistake,
    not a lost race)."""
    if isinstance(error, StorageBusy):
        return True
    if isinstance(error, TransactWriteError) and error.cause_response_code == TRANSACTION_CANCELED:
        # PynamoDB keeps the reasons on the error, not on the ClientError it wraps.
        codes = [reason.code if reason else "None" for reason in error.cancellation_reasons or []]
        return _only_conflicts(codes)
    cause = error.cause if isinstance(error, PynamoDBException) else error
    if isinstance(cause, EndpointUnreachable | HTTPClientError):
        return True  # the service could not be reached or did not answer in time, every retry
    if isinstance(cause, ClientError):
        code = cause.response.get("Error", {}).get("Code", "")
        if code == TRANSACTION_CANCELED:
            return _only_conflicts(_reason_codes(cause.response))
        return code in FAULTS
    return False


def _retry_transaction_conflict(response: Any, attempts: int, **_: Any) -> float | None:
    """``needs-retry`` for TransactWriteItems/TransactGetItems cancelled by conflicts only."""
    if response is None or attempts >= max_attempts():
        return None
    parsed = response[1]
    if parsed.get("Error", {}).get("Code") != TRANSACTION_CANCELED:
        return None
    return backoff(attempts) if _only_conflicts(_reason_codes(parsed)) else None


_partial_answers = threading.local()


def _back_off_unprocessed(parsed: dict[str, Any], model: Any, **_: Any) -> None:
    """``after-call`` for batch reads and writes: wait before the caller resends what was left."""
    left = parsed.get("UnprocessedItems") or parsed.get("UnprocessedKeys")
    streak = getattr(_partial_answers, "streak", 0)
    if not left or "Error" in parsed:
        _partial_answers.streak = 0
        return
    streak += 1
    _partial_answers.streak = streak
    if streak >= max_attempts():
        _partial_answers.streak = 0
        raise StorageBusy(f"{model.name}: items left unprocessed after {streak} attempts")
    time.sleep(backoff(streak))


# --- empty strings on engines that refuse them -----------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("S") == "" and len(value) == 1:
            return {"S": EMPTY_STRING_MARKER}
        if "M" in value:
            return {"M": {k: _encode(v) for k, v in value["M"].items()}}
        if "L" in value:
            return {"L": [_encode(v) for v in value["L"]]}
    return value


def _encode_item(item: dict[str, Any]) -> dict[str, Any]:
    # Key attributes keep their empty strings, so the engine refuses them as DynamoDB would.
    return {name: value if name in _key_names() else _encode(value) for name, value in item.items()}


def _encode_request(request: dict[str, Any]) -> None:
    for part in (request, request.get("Put"), request.get("Update"), request.get("ConditionCheck")):
        if not isinstance(part, dict):
            continue
        if "Item" in part:
            part["Item"] = _encode_item(part["Item"])
        if "ExpressionAttributeValues" in part:
            part["ExpressionAttributeValues"] = {
                k: _encode(v) for k, v in part["ExpressionAttributeValues"].items()
            }
        if "Delete" in part:
            _encode_request(part["Delete"])


def _encode_params(params: dict[str, Any], **_: Any) -> None:
    if not _empty_strings_refused():
        return
    _encode_request(params)
    for request in params.get("TransactItems", []):
        _encode_request(request)
    for writes in params.get("RequestItems", {}).values():
        if isinstance(writes, list):
            for write in writes:
                if "PutRequest" in write:
                    write["PutRequest"]["Item"] = _encode_item(write["PutRequest"]["Item"])


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("S") == EMPTY_STRING_MARKER and len(value) == 1:
            return {"S": ""}
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _decode_response(parsed: dict[str, Any], **_: Any) -> None:
    if _empty_strings_refused():
        parsed.update(_decode(parsed))


_keys_lock = threading.Lock()
_key_cache: set[str] = set()


def _key_names() -> set[str]:
    """Names of key attributes (of tables and of indexes) of every model and index imported so far."""
    from pynamodb.attributes import Attribute
    from pynamodb.indexes import Index
    from pynamodb.models import Model

    with _keys_lock:
        if not _key_cache:
            pending: list[type] = [Model, Index]
            while pending:
                cls = pending.pop()
                pending.extend(cls.__subclasses__())
                for attribute in vars(cls).values():
                    if isinstance(attribute, Attribute) and (attribute.is_hash_key or attribute.is_range_key):
                        _key_cache.add(attribute.attr_name)
        return _key_cache


_HANDLERS = [
    ("needs-retry.dynamodb.TransactWriteItems", _retry_transaction_conflict, handlers.REGISTER_FIRST),
    ("needs-retry.dynamodb.TransactGetItems", _retry_transaction_conflict, handlers.REGISTER_FIRST),
    ("after-call.dynamodb.BatchWriteItem", _back_off_unprocessed),
    ("after-call.dynamodb.BatchGetItem", _back_off_unprocessed),
    ("before-parameter-build.dynamodb", _encode_params),
    ("after-call.dynamodb", _decode_response),
]


def install() -> None:
    """Add the handlers to every botocore session created from now on (idempotent)."""
    for entry in _HANDLERS:
        if entry not in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.append(entry)


install()


@lru_cache(maxsize=1)
def connection() -> Connection:
    """The process's one DynamoDB connection: every model's requests and every transaction go
    through its botocore client (``shared.storage.base.TableModel``). One client, not one per model
    class: building a client's session parses DynamoDB's service model and endpoint files, tens of
    milliseconds each time. A botocore client may be used from many threads; PynamoDB creates it
    once, from a session of the creating thread (client creation is not thread-safe)."""
    return Connection(region=settings().region, retry_configuration=retry_configuration())


def session() -> botocore.session.Session:
    """The process's botocore session (the calling thread's: creating clients from one session is
    not thread-safe), the DynamoDB connection's. Other services' clients (SQS) are built from it
    too: a session of their own would parse botocore's endpoint files again (the largest of its
    data files), and it carries the handlers above, which only act on DynamoDB's requests."""
    return connection().session


def client() -> Any:
    """The connection's botocore client, for calls PynamoDB's models cannot make (paginated reads
    of bare keys): the same retries, handlers and endpoint as every model's requests."""
    return connection().client
