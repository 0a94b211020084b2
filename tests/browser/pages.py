"""What the browser tests do to the pages, as a person would: follow links, press buttons, read text.

The local API can be slow on a loaded machine; every wait allows ``WAIT_SECONDS``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 60
# axe-core impacts that fail a page; "minor" and "moderate" findings are reported by axe, not here.
BLOCKING_IMPACTS = {"serious", "critical"}
SCREENSHOT_MAX_HEIGHT = 1800


def wait(driver: WebDriver, condition: Any) -> Any:
    return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.2).until(condition)


def idle(driver: WebDriver) -> None:
    """Wait until no API request is in flight (the page's progress line is empty)."""
    wait(driver, lambda d: d.find_element(By.ID, "main").get_attribute("aria-busy") == "false")


def open_page(driver: WebDriver, url: str) -> None:
    driver.get(url)
    idle(driver)


def go(driver: WebDriver, fragment: str) -> None:
    """Follow an in-page route (``#/org/project/issues``) and wait for the page to load."""
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.addEventListener('hashchange', () => done(), {once: true});"
        "location.hash = arguments[0];",
        fragment,
    )
    idle(driver)


def heading(driver: WebDriver, text: str) -> WebElement:
    return wait(
        driver, ec.visibility_of_element_located((By.XPATH, f"//h1[contains(., {json.dumps(text)})]"))
    )


def button(driver: WebDriver, label: str) -> WebElement:
    xpath = f"//main//button[normalize-space(.)={json.dumps(label)}]"
    return wait(driver, ec.element_to_be_clickable((By.XPATH, xpath)))


def link(driver: WebDriver, text: str) -> WebElement:
    return wait(driver, ec.element_to_be_clickable((By.XPATH, f"//main//a[contains(., {json.dumps(text)})]")))


def labelled(driver: WebDriver, label: str) -> WebElement:
    """The control a ``<label>`` names (so a control without a label cannot be found)."""
    xpath = f"//main//label[normalize-space(.)={json.dumps(label)}]"
    found = wait(driver, ec.presence_of_element_located((By.XPATH, xpath)))
    return driver.find_element(By.ID, found.get_attribute("for"))


def text_appears(driver: WebDriver, text: str) -> None:
    wait(driver, lambda d: text in d.find_element(By.ID, "main").text)


def accessibility_violations(driver: WebDriver, axe_source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page."""
    driver.execute_script(axe_source)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then((r) => done(r.violations), (e) => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]));"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["html"] for n in v["nodes"]][:3],
        }
        for v in result
        if v["impact"] in BLOCKING_IMPACTS
    ]


def screenshot(driver: WebDriver, name: str) -> None:
    """Save the page as ``name``.png into ``WEB_SCREENSHOTS`` when set (the README's pictures)."""
    folder = os.environ.get("WEB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        # Tall enough for the whole page (up to a limit), then back to the usual window.
        size = driver.get_window_size()
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(size["width"], min(max(height + 120, size["height"]), SCREENSHOT_MAX_HEIGHT))
        try:
            driver.save_screenshot(str(Path(folder) / f"{name}.png"))
        finally:
            driver.set_window_size(size["width"], size["height"])
