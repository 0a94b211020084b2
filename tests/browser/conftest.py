"""A real browser for the web pages: Debian's headless Chromium driven by selenium, and axe-core.

``make test-browser`` installs Chromium (apt), selenium (pip) and axe-core (npm, into a cache outside
the checkout) and names the axe-core script in ``AXE_CORE_JS``. Missing pieces fail the run with
what to install: a browser test that cannot run is not a pass."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# As root on this kind of machine Chromium needs --no-sandbox; the rest keeps it off the network.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)


def _executable(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: run `make test-browser` (apt-get install chromium chromium-driver)"
        )
    return path


@pytest.fixture(scope="session")
def axe_source() -> str:
    path = os.environ.get("AXE_CORE_JS", "")
    if not path or not Path(path).is_file():
        pytest.fail("AXE_CORE_JS must name axe-core's axe.min.js: run `make test-browser`")
    return Path(path).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def downloads() -> Iterator[Path]:
    """Where the browser saves what a page downloads (an attachment)."""
    folder = Path(tempfile.mkdtemp(prefix="watchtower-downloads-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(downloads: Path) -> Iterator[object]:
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium must not try to download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _executable("chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="watchtower-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(options=options, service=Service(_executable("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
