"""Domain errors. Each carries the HTTP status and Sentry-shaped body it maps to, so handlers never
decide status codes themselves and a client mistake can never surface as a 500."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Base of every error a client can be told about."""

    status_code: int = 400
    default_detail: str = "Bad request"

    def __init__(self, detail: Any = None) -> None:
        self.detail = self.default_detail if detail is None else detail
        super().__init__(str(self.detail))

    def body(self) -> Any:
        """The JSON body Sentry answers with for this error."""
        return {"detail": self.detail}

    def headers(self) -> dict[str, str]:
        """Response headers the error adds (none unless a subclass says so)."""
        return {}


class ValidationFailed(ApiError):
    """400 with field-level errors: ``{"field": ["message"]}``."""

    status_code = 400

    def __init__(self, errors: dict[str, Any]) -> None:
        self.errors = errors
        super().__init__(errors)

    def body(self) -> Any:
        return self.errors


class BadRequest(ApiError):
    status_code = 400


class NotAuthenticated(ApiError):
    status_code = 401
    default_detail = "Authentication credentials were not provided."


class InvalidToken(ApiError):
    status_code = 401
    default_detail = "Invalid token"


class PermissionDenied(ApiError):
    status_code = 403
    default_detail = "You do not have permission to perform this action."


class NotFound(ApiError):
    """Also used for 'exists but you may not see it': Sentry never reveals hidden resources."""

    status_code = 404
    default_detail = "The requested resource does not exist"


class Conflict(ApiError):
    status_code = 409


class MaxSnowflakeRetryError(Conflict):
    default_detail = "Max allowed ID retry reached. Please try again in a second"


class TooManyRequests(ApiError):
    """429 with ``Retry-After``: SDKs hold their events back for that many seconds (Relay's answer
    when a project is over its rate or the pipeline cannot take more)."""

    status_code = 429
    default_detail = "Too many events; retry later"

    def __init__(self, detail: Any = None, retry_after: int = 1) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(detail)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
