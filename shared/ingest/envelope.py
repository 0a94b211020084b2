"""Request bodies as Sentry SDKs send them: decoded (``shared.ingest.encoding``), then read either as
an envelope (``/envelope/``) or as one JSON event (the legacy ``/store/``).

Envelope format: a JSON header line, then items, each a JSON header line (``type``, optional
``length`` in bytes) followed by its payload; without ``length`` the payload runs to the next newline.
Everything is parsed before anything is stored, so a malformed body is a 400 with nothing written.

The work a body can cause is bounded: at most ``MAX_BODY_BYTES`` decoded, header lines of at most
``MAX_HEADER_BYTES``, ``MAX_ITEMS`` items, one ``event`` item (Relay drops an envelope with a second
one) of at most ``MAX_EVENT_BYTES`` (Relay's event size limit) — the only payload parsed as JSON."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from shared.errors import BadRequest
from shared.ingest.encoding import decode_body, decoded_chunks
from shared.ingest.queue import EventTooLarge

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_EVENT_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_ITEMS = 1000
EVENT_ITEM = "event"  # the item that carries an error or message event
ATTACHMENT_ITEM = "attachment"  # a file sent with the event (``shared.events.attachments``)
_BLANK = re.compile(rb"\s*")


@dataclass(frozen=True)
class EnvelopeItem:
    type: str
    headers: dict[str, Any]
    payload: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.payload)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BadRequest(f"Invalid JSON in envelope item of type {self.type!r}") from None


@dataclass(frozen=True)
class Envelope:
    headers: dict[str, Any]
    items: list[EnvelopeItem] = field(default_factory=list)

    @property
    def event(self) -> EnvelopeItem | None:
        """The envelope's event item, if it has one (``parse_envelope`` allows no second)."""
        return next((item for item in self.items if item.type == EVENT_ITEM), None)

    @property
    def attachments(self) -> list[EnvelopeItem]:
        return [item for item in self.items if item.type == ATTACHMENT_ITEM]


def _header_at(data: bytes, position: int, what: str) -> tuple[dict[str, Any], int]:
    """The JSON object on the line that starts at ``position`` (up to the next newline, or the end:
    an envelope's last line may have none) and where the next line starts. A line too long to be a
    header is refused before it is parsed."""
    newline = data.find(b"\n", position)
    end = len(data) if newline < 0 else newline
    if end - position > MAX_HEADER_BYTES:
        raise BadRequest(f"Invalid envelope: {what} is longer than {MAX_HEADER_BYTES} bytes")
    line = data[position:end]
    try:
        value = json.loads(line) if line.strip() else {}
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest(f"Invalid envelope: {what} is not JSON") from None
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid envelope: {what} is not a JSON object")
    return value, end + 1


def parse_envelope(data: bytes) -> Envelope:
    """Split an envelope into its header and items; 400 on any framing error."""
    if _BLANK.match(data).end() == len(data):
        raise BadRequest("Empty envelope")
    headers, position = _header_at(data, 0, "the envelope header")
    envelope = Envelope(headers=headers)
    # blank lines between or after items are skipped in one step, however many there are
    while (position := _BLANK.match(data, position).end()) < len(data):
        if len(envelope.items) == MAX_ITEMS:
            raise BadRequest(f"Invalid envelope: more than {MAX_ITEMS} items")
        headers, position = _header_at(data, position, "an item header")
        item_type = headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise BadRequest("Invalid envelope: an item header has no type")
        length = headers.get("length")
        if length is not None:
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise BadRequest("Invalid envelope: item length is not a non-negative integer")
            if position + length > len(data):
                raise BadRequest("Invalid envelope: item is shorter than its length")
            end = position + length
        else:
            newline = data.find(b"\n", position)
            end = len(data) if newline < 0 else newline
        if item_type == EVENT_ITEM:
            if envelope.event is not None:
                raise BadRequest("Invalid envelope: a second event item (an envelope carries one event)")
            if end - position > MAX_EVENT_BYTES:
                raise EventTooLarge(f"Event too large: the event item is over {MAX_EVENT_BYTES} bytes")
        envelope.items.append(EnvelopeItem(item_type, headers, data[position:end]))
        position = end + 1 if data[end : end + 1] == b"\n" else end
    return envelope


class EnvelopeBody:
    """An envelope body decoded only as far as it has been read: an envelope that names its key
    only in its own header is authenticated on its first line, before the rest is decoded."""

    def __init__(self, raw: bytes, content_encoding: str | None) -> None:
        self._chunks = decoded_chunks(raw, content_encoding, MAX_BODY_BYTES)
        self._read: list[bytes] = []

    def headers(self) -> dict[str, Any]:
        """The envelope header, from no more of the body than its first line."""
        head = b"".join(self._read)
        while b"\n" not in head and len(head) <= MAX_HEADER_BYTES:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._read.append(chunk)
            head += chunk
        return _header_at(head, 0, "the envelope header")[0]

    def envelope(self) -> Envelope:
        return parse_envelope(b"".join([*self._read, *self._chunks]))


def parse_store_body(data: bytes) -> dict[str, Any]:
    """The event of a legacy ``/store/`` request (at most ``MAX_EVENT_BYTES``, as the body is decoded
    with that limit): JSON, or (very old SDKs) base64 of zlib'd JSON."""
    text = data.strip()
    if text[:1] not in (b"{", b""):
        try:
            text = decode_body(base64.b64decode(text, validate=True), "deflate", MAX_EVENT_BYTES)
        except (binascii.Error, BadRequest):
            raise BadRequest("Invalid event: body is not JSON") from None
    try:
        event = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("Invalid event: body is not JSON") from None
    if not isinstance(event, dict):
        raise BadRequest("Invalid event: body is not a JSON object")
    return event
