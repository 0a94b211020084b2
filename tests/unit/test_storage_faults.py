"""Which DynamoDB errors are faults (answered 503/429 once retries are spent) and which are not:
a lost race (a failed condition) or a client mistake must never be mistaken for a busy service."""

from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from pynamodb.exceptions import CancellationReason, GetError, PutError, TransactWriteError, VerboseClientError

from shared.storage.dynamodb import StorageBusy, is_fault


def _cancelled(*codes: str | None) -> TransactWriteError:
    reasons = [CancellationReason(code=c) if c else None for c in codes]
    cause = VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException"}},
        "TransactWriteItems",
        {},
        cancellation_reasons=reasons,
    )
    return TransactWriteError("Failed to write transaction items", cause)


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "PutItem")


def test_throttling_internal_errors_and_unprocessed_items_are_faults() -> None:
    for code in ("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"):
        assert is_fault(PutError("Failed to put item", _client_error(code)))
    assert is_fault(_client_error("InternalServerError"))
    assert is_fault(StorageBusy("items left unprocessed"))


def test_an_unreachable_or_silent_service_is_a_fault() -> None:
    unreachable = EndpointConnectionError(endpoint_url="http://127.0.0.1:9/")
    assert is_fault(GetError("Failed to get item", unreachable))
    assert is_fault(unreachable)  # as SQS's client raises it at the edge
    assert is_fault(ReadTimeoutError(endpoint_url="http://127.0.0.1:9/"))


def test_a_transaction_cancelled_only_by_conflicts_is_a_fault() -> None:
    assert is_fault(_cancelled(None, "TransactionConflict"))


def test_lost_races_and_client_mistakes_are_not_faults() -> None:
    assert not is_fault(_cancelled("ConditionalCheckFailed", "TransactionConflict"))
    assert not is_fault(_cancelled("ConditionalCheckFailed", None))
    assert not is_fault(PutError("Failed to put item", _client_error("ConditionalCheckFailedException")))
    assert not is_fault(_client_error("ValidationException"))
    assert not is_fault(ValueError("not DynamoDB at all"))
