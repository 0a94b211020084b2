"""Alert email of the local system: the moto server's SES keeps what it is sent in memory; here
each message is also written to ``$LOCAL_MAIL_DIR`` as an ``.eml`` file and announced with a line,
so `make run` shows the mail the notifier sent (open the file in any mail client)."""

from __future__ import annotations

import email
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moto.ses.models import SESBackend

_numbers = itertools.count(1)


def _keeping(send: Callable[..., Any], folder: Path) -> Callable[..., Any]:
    def send_raw_email(self: SESBackend, source: str, destinations: list[str], raw_data: str) -> Any:
        sent = send(self, source, destinations, raw_data)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{time.strftime('%Y%m%dT%H%M%S')}-{next(_numbers):04d}-{sent.id}.eml"
        path.write_text(raw_data, encoding="utf-8")
        message = email.message_from_string(raw_data)
        print(f"mail to {message['To']}: {message['Subject']} ({path})", file=sys.stderr, flush=True)
        return sent

    return send_raw_email


def install(folder: Path) -> None:
    """Write every message SES sends from now on into ``folder``."""
    SESBackend.send_raw_email = _keeping(SESBackend.send_raw_email, folder)  # type: ignore[method-assign]
