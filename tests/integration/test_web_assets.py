"""The web pages' files as the web function serves them: the page, its modules, nothing else."""

from __future__ import annotations

import re


def test_the_page_is_served_at_the_root_with_a_strict_content_security_policy(http, base_url) -> None:
    page = http.get(f"{base_url}/")
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/assets/app.js">' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_every_module_the_pages_import_is_served(http, base_url) -> None:
    """Follow the imports from app.js: a missing file would break the page in the browser."""
    pending, seen = ["app.js", "style.css"], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        asset = http.get(f"{base_url}/assets/{name}")
        assert asset.status_code == 200, name
        expected = "text/css" if name.endswith(".css") else "text/javascript"
        assert asset.headers["Content-Type"].startswith(expected), name
        pending += re.findall(r'from "\./([\w.]+)"', asset.text)
    assert {"api.js", "ui.js", "stream.js", "issue.js", "releases.js", "alerts.js"} <= seen


def test_only_shipped_assets_are_served(http, base_url) -> None:
    for name in ("nothing.js", "app.py", "..%2Fapp.py", "%2E%2E%2Fapp.py", "index"):
        answer = http.get(f"{base_url}/assets/{name}")
        assert answer.status_code == 404, name
        assert answer.json() == {"detail": "The requested resource does not exist"}, name
