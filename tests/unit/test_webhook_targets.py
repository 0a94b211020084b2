"""Webhook targets on AWS: a URL whose host is (or resolves to) a private, loopback, link-local or
otherwise non-public address is refused before anything is sent; the local system's setting allows
them. A redirect is never followed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared.alerts.webhooks import DeliveryFailed, post_json, public_address
from shared.config import settings


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.4",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "0.0.0.0",
    ],
)
def test_non_public_hosts_are_not_public(host: str) -> None:
    assert public_address(host) is False


def test_a_public_address_is_public() -> None:
    assert public_address("93.184.216.34") is True and public_address("2606:4700::6810:85e5") is True


class _Server:
    def __init__(self, status: int, location: str | None = None) -> None:
        self.posts = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                owner.posts += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOKS", "1")
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


def test_on_aws_a_loopback_url_is_refused_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOKS", "0")
    settings.cache_clear()
    target = _Server(200)
    try:
        with pytest.raises(DeliveryFailed, match=r"127\.0\.0\.1 does not resolve to a public address"):
            post_json(target.url, {"id": "1"})
        assert target.posts == 0
    finally:
        target.server.shutdown()
        monkeypatch.undo()
        settings.cache_clear()


def test_locally_the_setting_allows_it_and_only_2xx_succeeds(allowed: None) -> None:
    ok, failing = _Server(200), _Server(502)
    post_json(ok.url, {"id": "1"})
    with pytest.raises(DeliveryFailed, match="answered 502"):
        post_json(failing.url, {"id": "1"})
    assert (ok.posts, failing.posts) == (1, 1)


def test_a_redirect_is_not_followed(allowed: None) -> None:
    inner = _Server(200)
    outer = _Server(307, location=inner.url)
    with pytest.raises(DeliveryFailed, match="answered 307"):
        post_json(outer.url, {"id": "1"})
    assert (outer.posts, inner.posts) == (1, 0)
