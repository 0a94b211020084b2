"""An exception resolved through a source map on the issue page: its original frames first, a
toggle button switching to the minified frames the SDK sent and back, the other exception of the
chain (no map) without one, and the event's processing errors listed; and the same for a real app
minified by esbuild and uploaded with sentry-cli. Each view passes axe-core."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.pages import go, heading, wait
from tests.browser.test_web_pages import assert_accessible, sign_in
from tests.clients.javascript import THROW_LINE, THROW_TEXT, build_app, run_app
from tests.clients.test_sentry_cli_info import sentry_cli
from tests.conftest import World, events_processed
from tests.integration.test_ingest_api import project_dsn, project_groups
from tests.integration.test_raw_frames import send_minified_event


def _newest_frame(exception) -> str:
    return exception.find_element(By.CSS_SELECTOR, ".app-frames details.frame").text


def test_the_toggle_switches_between_original_and_minified_frames(
    browser, base_url, world: World, axe_source: str
) -> None:
    _, issue_id = send_minified_event(base_url, world)
    sign_in(browser, base_url, world)
    go(browser, f"#/{world.org}/issues/{issue_id}")
    heading(browser, "declined")
    resolved, cause = browser.find_elements(By.CSS_SELECTOR, "#latest-event .exception")
    assert "Error: declined" in resolved.text and "TypeError: cart is empty" in cause.text
    assert cause.find_elements(By.CSS_SELECTOR, "button.frames-toggle") == []  # nothing was resolved

    original = _newest_frame(resolved)
    assert "src/checkout.js in t at line 2:3" in original
    assert 'throw new Error("declined");' in original  # the source lines from sourcesContent
    toggle = resolved.find_element(By.CSS_SELECTOR, "button.frames-toggle")
    assert toggle.text == "Show minified"
    assert toggle.get_attribute("aria-controls") == resolved.find_element(
        By.CSS_SELECTOR, ".trace"
    ).get_attribute("id")
    errors = browser.find_element(By.ID, "processing-errors-title-part").text
    assert "Processing errors (1)" in errors
    assert "Source code was not found (js_no_source)" in errors and "/srv/vendor.js" in errors
    assert_accessible(browser, axe_source)

    toggle.send_keys(Keys.ENTER)
    wait(browser, lambda d: toggle.text == "Show original")
    minified = _newest_frame(resolved)
    assert "/srv/app.js in t at line 1:16" in minified and "src/checkout.js" not in minified
    assert "No source lines were sent." in minified
    assert browser.switch_to.active_element == toggle  # the focus stays on the button
    assert_accessible(browser, axe_source)

    toggle.send_keys(Keys.SPACE)
    wait(browser, lambda d: toggle.text == "Show minified")
    assert _newest_frame(resolved) == original


def _sentry_cli(base_url: str, world: World, *args: str, cwd: Path) -> None:
    env = {"SENTRY_PROJECT": world.project}
    result = sentry_cli(base_url, world.token, world.org, *args, env=env, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_real_bundles_error_shows_its_original_code_and_the_minified_frames_on_request(
    browser, base_url, world: World, axe_source: str, tmp_path: Path
) -> None:
    """An app minified by esbuild, its debug ids injected and its maps uploaded by sentry-cli,
    throwing under @sentry/node: the page shows the original file, function, line and source."""
    bundle = build_app(tmp_path)
    _sentry_cli(base_url, world, "sourcemaps", "inject", "dist", cwd=tmp_path)
    _sentry_cli(base_url, world, "sourcemaps", "upload", "dist", cwd=tmp_path)
    dsn, project_id = project_dsn(base_url, world)
    run_app(bundle, dsn, release=None)
    events_processed()
    [group] = project_groups(project_id)

    sign_in(browser, base_url, world)
    go(browser, f"#/{world.org}/issues/{group.id}")
    heading(browser, "Checkout total too high")
    [exception] = browser.find_elements(By.CSS_SELECTOR, "#latest-event .exception")
    original = exception.find_element(By.CSS_SELECTOR, ".app-frames details.frame")
    assert original.text.startswith(f"src/checkout.js in computeTotal at line {THROW_LINE}:"), original.text
    current = original.find_element(By.CSS_SELECTOR, "ol.source li.current")
    assert current.get_attribute("value") == str(THROW_LINE) and current.text == THROW_TEXT
    assert "export function computeTotal(items) {" in original.text  # the lines before it, from the map
    caller = exception.find_elements(By.CSS_SELECTOR, ".app-frames details.frame")[1]
    assert "src/main.js in placeOrder" in caller.text
    assert_accessible(browser, axe_source)

    toggle = exception.find_element(By.CSS_SELECTOR, "button.frames-toggle")
    toggle.send_keys(Keys.ENTER)
    wait(browser, lambda d: toggle.text == "Show original")
    minified = _newest_frame(exception)
    assert "dist/app.js" in minified and "src/checkout.js" not in minified and "computeTotal" not in minified
    assert_accessible(browser, axe_source)
    toggle.send_keys(Keys.SPACE)
    wait(browser, lambda d: toggle.text == "Show minified")
    assert _newest_frame(exception).startswith(f"src/checkout.js in computeTotal at line {THROW_LINE}:")
