"""An issue's culprit as Sentry writes it: per platform (JavaScript ``function(module)``, native code
by function, the rest ``module in function``), from the newest in-app frame that names a place, and
the module a source-mapped JavaScript frame gets from its URL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.artifacts.modules import frame_module, generated_module
from shared.ingest.event import normalize_event

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _culprit(frames: list[dict[str, Any]], **event: Any) -> str | None:
    exception = {"type": "TypeError", "value": "x", "stacktrace": {"frames": frames}}
    return normalize_event({"exception": {"values": [exception]}, **event}, NOW).culprit


def test_each_platform_writes_the_culprit_its_own_way() -> None:
    frame = {"module": "checkout", "function": "computeTotal", "in_app": True}
    assert _culprit([frame], platform="node") == "computeTotal(checkout)"
    assert _culprit([frame], platform="javascript") == "computeTotal(checkout)"
    assert _culprit([frame], platform="python") == "checkout in computeTotal"
    assert _culprit([{**frame, "function": "-[Crash run]"}], platform="cocoa") == "-[Crash run]"
    # the frame's own platform wins over the event's
    assert _culprit([{**frame, "platform": "javascript"}], platform="python") == "computeTotal(checkout)"
    assert _culprit([{"filename": "app.js", "in_app": True}], platform="node") == "?(app.js)"


def test_the_newest_in_app_frame_that_names_a_place_is_the_culprit() -> None:
    frames = [
        {"module": "app.views", "function": "index", "in_app": True},
        {"function": "nowhere", "in_app": True},  # names no module or file: skipped
        {"module": "lib.http", "function": "send", "in_app": False},
    ]
    assert _culprit(frames, platform="python") == "app.views in index"
    # no in-app frame names a place: the newest frame that is not in-app
    assert _culprit(frames[1:], platform="python") == "lib.http in send"


def test_the_sdks_culprit_then_the_transaction_come_first() -> None:
    frame = {"module": "m", "function": "f", "in_app": True}
    assert _culprit([frame], culprit="legacy culprit", transaction="/pay") == "legacy culprit"
    assert _culprit([frame], transaction="/pay") == "/pay"


def test_an_event_without_exception_takes_its_own_stack_trace() -> None:
    event = normalize_event(
        {
            "message": "slow",
            "platform": "node",
            "stacktrace": {"frames": [{"module": "jobs", "function": "run", "in_app": True}]},
        },
        NOW,
    )
    assert event.culprit == "run(jobs)"
    # an exception without frames: Relay moves the event's stack trace into it
    event = normalize_event(
        {
            "exception": {"values": [{"type": "E", "value": "v"}]},
            "stacktrace": {"frames": [{"module": "jobs", "function": "run"}]},
            "request": {"url": "https://shop.example/pay"},
        },
        NOW,
    )
    assert event.culprit == "jobs in run"
    # two exceptions, none with frames: no stack trace to name a place, the request's URL
    event = normalize_event(
        {
            "exception": {"values": [{"type": "E", "value": "v"}, {"type": "F", "value": "w"}]},
            "request": {"url": "https://shop.example/pay"},
        },
        NOW,
    )
    assert event.culprit == "https://shop.example/pay"


@pytest.mark.parametrize(
    ("url", "module"),
    [
        ("http://example.com/js/v1.0/foo/bar/baz.js", "foo/bar/baz"),
        ("http://example.com/1/2/3/foo/bar.js?v=1234", "foo/bar"),
        ("http://example.com/7d6d00eae0ceccdc7ee689659585d95f/foo/bar.js", "foo/bar"),
        (
            "/a/javascripts/application-bundle-149360d3414c26adac3febdf6832e25c.min.js",
            "a/javascripts/application-bundle",
        ),
        ("http://example.com/vendor.92cd589eca8235e7b373bf5ae94ebf898e3b949c.js", "vendor"),
        ("https://example.com/libs/libs-20150417171659.min.js", "libs/libs"),
        ("app:///example/92cd589eca8235e7b373bf5ae94ebf898e3b949c/vendor.js", "vendor"),
        (
            "~/app/components/projectHeader/projectSelector.jsx",
            "app/components/projectHeader/projectSelector",
        ),
    ],
)
def test_a_module_made_up_from_a_url(url: str, module: str) -> None:
    assert generated_module(url) == module


def test_a_mapped_frame_keeps_the_sdks_module_unless_webpack_names_the_source() -> None:
    assert frame_module("bundle", "/srv/app/src/checkout.js", "../src/checkout.js") == "bundle"
    assert (
        frame_module(None, "https://shop.example/static/js/src/checkout.js", "src/checkout.js")
        == "src/checkout"
    )
    assert frame_module("main", "webpack:///./src/cart.js", "webpack:///./src/cart.js") == "src/cart"
    assert frame_module(None, "/srv/app/src/checkout.js", "../src/checkout.js") is None
