"""Where downloads and installed tools live: outside the checkout, so reruns (and CI) reuse them."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$WATCHTOWER_CACHE`` (the Makefile sets it), else ``watchtower`` in the user's cache folder.
    Nothing creates it ahead: whoever writes into it creates the folders it writes to."""
    explicit = os.environ.get("WATCHTOWER_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "watchtower"
