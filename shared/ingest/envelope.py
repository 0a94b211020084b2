"""Request bodies as Sentry SDKs send them: decompressed by ``Content-Encoding``, then read either as
an envelope (``/envelope/``) or as one JSON event (the legacy ``/store/``).

Envelope format: a JSON header line, then items, each a JSON header line (``type``, optional
``length`` in bytes) followed by its payload; without ``length`` the payload runs to the next newline.
Everything is parsed before anything is stored, so a malformed body is a 400 with nothing written."""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

import brotli

from shared.errors import ApiError, BadRequest

# Decompressed bodies above this are refused: a small gzip body can expand a thousandfold.
MAX_BODY_BYTES = 20 * 1024 * 1024


class PayloadTooLarge(ApiError):
    status_code = 413
    default_detail = "Request body too large"


class UnsupportedEncoding(ApiError):
    status_code = 415
    default_detail = "Unsupported Content-Encoding"


@dataclass(frozen=True)
class EnvelopeItem:
    type: str
    headers: dict[str, Any]
    payload: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.payload)
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(f"Invalid JSON in envelope item of type {self.type!r}") from None


@dataclass(frozen=True)
class Envelope:
    headers: dict[str, Any]
    items: list[EnvelopeItem] = field(default_factory=list)


def _inflate(data: bytes, wbits: int) -> bytes:
    decompressor = zlib.decompressobj(wbits)
    output = decompressor.decompress(data, MAX_BODY_BYTES + 1)
    if len(output) > MAX_BODY_BYTES or decompressor.unconsumed_tail:
        raise PayloadTooLarge()
    return output


def _decode_one(data: bytes, encoding: str) -> bytes:
    try:
        if encoding in ("gzip", "x-gzip"):
            return _inflate(data, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":  # zlib-wrapped as the RFC says, or raw as some clients send it
            try:
                return _inflate(data, zlib.MAX_WBITS)
            except zlib.error:
                return _inflate(data, -zlib.MAX_WBITS)
        if encoding == "br":
            output = brotli.decompress(data)
            if len(output) > MAX_BODY_BYTES:
                raise PayloadTooLarge()
            return output
    except (zlib.error, brotli.error):
        raise BadRequest(f"Body is not valid {encoding} data") from None
    raise UnsupportedEncoding(f"Unsupported Content-Encoding: {encoding}")


def decode_body(raw: bytes, content_encoding: str | None) -> bytes:
    """The body with every ``Content-Encoding`` undone (applied left to right, so undone in reverse)."""
    encodings = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
    data = raw
    for encoding in reversed(encodings):
        if encoding != "identity":
            data = _decode_one(data, encoding)
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return data


def _json_line(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(line) if line.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(f"Invalid envelope: {what} is not JSON") from None
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid envelope: {what} is not a JSON object")
    return value


def _line_at(data: bytes, position: int) -> tuple[bytes, int]:
    """The line that starts at ``position`` (up to the next newline, or the end: an envelope's last
    line may have none) and where the next one starts."""
    newline = data.find(b"\n", position)
    end = len(data) if newline < 0 else newline
    return data[position:end], end + 1


def parse_envelope(data: bytes) -> Envelope:
    """Split an envelope into its header and items; 400 on any framing error."""
    if not data.strip():
        raise BadRequest("Empty envelope")
    header_line, position = _line_at(data, 0)
    envelope = Envelope(headers=_json_line(header_line, "the envelope header"))
    while position < len(data):
        line, position = _line_at(data, position)
        if not line.strip():
            continue  # trailing newlines between or after items
        headers = _json_line(line, "an item header")
        item_type = headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise BadRequest("Invalid envelope: an item header has no type")
        length = headers.get("length")
        if length is not None:
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise BadRequest("Invalid envelope: item length is not a non-negative integer")
            if position + length > len(data):
                raise BadRequest("Invalid envelope: item is shorter than its length")
            payload = data[position : position + length]
            position += length
            if data[position : position + 1] == b"\n":
                position += 1
        else:
            payload, position = _line_at(data, position)
        envelope.items.append(EnvelopeItem(item_type, headers, payload))
    return envelope


def parse_store_body(data: bytes) -> dict[str, Any]:
    """The event of a legacy ``/store/`` request: JSON, or (very old SDKs) base64 of zlib'd JSON."""
    text = data.strip()
    if text[:1] not in (b"{", b""):
        try:
            text = _inflate(base64.b64decode(text, validate=True), zlib.MAX_WBITS)
        except (binascii.Error, zlib.error):
            raise BadRequest("Invalid event: body is not JSON") from None
    try:
        event = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Invalid event: body is not JSON") from None
    if not isinstance(event, dict):
        raise BadRequest("Invalid event: body is not a JSON object")
    return event
