"""Security headers on every answer of the API functions, added where all of them pass
(``shared.http.handler``).

- Every answer: ``X-Content-Type-Options: nosniff`` (a browser never reads a JSON body as a script
  or a page).
- JSON answers: ``Cache-Control: no-store`` — they carry DSN secrets (``/keys/``), tokens and private
  data that no browser or proxy cache should keep.
- HTML answers (Swagger UI's page at ``/api/0/docs``): a Content-Security-Policy that lets only the
  page's own inline scripts run (by their SHA-256, computed from the body: powertools inlines the
  Swagger bundle and the document), connects to this origin only, and forbids framing.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

NOSNIFF = {"X-Content-Type-Options": "nosniff"}
NO_STORE = {"Cache-Control": "no-store"}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# Swagger UI sets inline styles and shows data: images; nothing else is loaded from anywhere.
_PAGE_POLICY = (
    "default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _script_hashes(html: str) -> str:
    digests = {
        base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        for script in _INLINE_SCRIPT.findall(html)
    }
    return " ".join(f"'sha256-{digest}'" for digest in sorted(digests)) or "'none'"


def page_headers(html: str) -> dict[str, str]:
    """Headers of an HTML page whose only scripts are the inline ones it carries."""
    return {
        **NOSNIFF,
        "Content-Security-Policy": _PAGE_POLICY.format(scripts=_script_hashes(html)),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


def _header(headers: dict[str, Any], name: str) -> str:
    return next((str(v) for k, v in headers.items() if k.lower() == name.lower()), "")


def secure(response: dict[str, Any]) -> dict[str, Any]:
    """``response`` (an HTTP API 2.0 result) with the headers its content type calls for; a header
    the handler set itself is kept."""
    headers = dict(response.get("headers") or {})
    content_type = _header(headers, "content-type").lower()
    added = dict(NOSNIFF)
    if content_type.startswith("application/json"):
        added.update(NO_STORE)
    elif content_type.startswith("text/html") and not response.get("isBase64Encoded"):
        added.update(page_headers(str(response.get("body") or "")))
    present = {k.lower() for k in headers}
    headers.update({k: v for k, v in added.items() if k.lower() not in present})
    return {**response, "headers": headers}
