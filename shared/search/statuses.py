"""The status words of Sentry's issue search (``is:unresolved`` …) and of the bulk endpoints'
``?status=``: apart from the search so that documents can name them without its reads."""

from __future__ import annotations

from shared.issues.enums import GroupStatus

STATUS_WORDS = {
    "unresolved": GroupStatus.UNRESOLVED,
    "resolved": GroupStatus.RESOLVED,
    "ignored": GroupStatus.IGNORED,
    "archived": GroupStatus.IGNORED,
    "muted": GroupStatus.IGNORED,
}
