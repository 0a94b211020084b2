"""Which release versions Sentry accepts (``Release.is_valid_version``) and its length limits."""

from __future__ import annotations

MAX_VERSION_LENGTH = 200
MAX_COMMIT_LENGTH = 64
COMMIT_RANGE_DELIMITER = ".."
# Sentry's characters, and NUL, which its database refuses (a 500 there; a 400 here)
BAD_RELEASE_CHARS = "\r\n\f\x0c\t/\\\x00"


def is_valid_version(version: str | None) -> bool:
    if version is None or any(c in version for c in BAD_RELEASE_CHARS):
        return False
    stripped = version.strip()
    return bool(stripped) and stripped not in {".", ".."} and stripped.lower() != "latest"


def split_commit_range(commit: str) -> tuple[str | None, str]:
    """``A..B`` → ``(A, B)``; a single sha → ``(None, sha)``. Raises ValueError in Sentry's words."""
    if COMMIT_RANGE_DELIMITER in commit:
        start, _, end = commit.partition(COMMIT_RANGE_DELIMITER)
        if not start or not end:
            raise ValueError("Commit cannot begin or end with ..")
        if len(start) > MAX_COMMIT_LENGTH or len(end) > MAX_COMMIT_LENGTH:
            raise ValueError(f"Start or end commit too long - max is {MAX_COMMIT_LENGTH} chars each")
        return start, end
    if len(commit) > MAX_COMMIT_LENGTH:
        raise ValueError(f"Commit too long - max is {MAX_COMMIT_LENGTH} chars")
    return None, commit
