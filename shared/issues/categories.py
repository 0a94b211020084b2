"""Issue categories (Sentry's GroupCategory): only error issues may be discarded, merged or deleted
here, because every other category's rows come from pipelines this backend does not run."""

from __future__ import annotations

from typing import Any

from shared.errors import ApiError
from shared.storage.issues import Group

ERROR_CATEGORY = 1


class OnlyErrorIssues(ApiError):
    """Sentry raises a bare DRF ValidationError here, so the body is a list, not ``{"detail": …}``."""

    status_code = 400

    def body(self) -> Any:
        return [self.detail]


def is_error_issue(group: Group) -> bool:
    """Groups without a stored category came from error events, the only kind ingested."""
    return group.category is None or group.category == ERROR_CATEGORY


def require_error_issues(groups: list[Group], action: str) -> None:
    """400 ``["Only error issues can be <action>."]`` unless every group is an error issue."""
    if not all(is_error_issue(g) for g in groups):
        raise OnlyErrorIssues(f"Only error issues can be {action}.")
