"""A request body's ``Content-Encoding`` undone as it is read, never past a size limit.

A few kilobytes of gzip, deflate or brotli can stand for gigabytes; a decoder that inflates the
whole body before looking at its size lets one request take an execution environment's memory. Here
every encoding is a stream stage that hands on at most ``CHUNK_BYTES`` at a time (zlib's
``max_length``, brotli's ``output_buffer_limit``), each stage stops at the limit, and the caller
reads only as much as it needs (an envelope's first line is enough to authenticate it)."""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterable, Iterator

import brotli

from shared.errors import ApiError, BadRequest

CHUNK_BYTES = 64 * 1024
# Clients compress once; a chain of encodings only multiplies the work of a hostile body.
MAX_ENCODINGS = 2


class PayloadTooLarge(ApiError):
    status_code = 413
    default_detail = "Request body too large"


class UnsupportedEncoding(ApiError):
    status_code = 415
    default_detail = "Unsupported Content-Encoding"


def _pieces(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), CHUNK_BYTES):
        yield bytes(view[start : start + CHUNK_BYTES])


def _inflate(chunks: Iterable[bytes], wbits: int) -> Iterator[bytes]:
    decompressor = zlib.decompressobj(wbits)
    for chunk in chunks:
        output = decompressor.decompress(chunk, CHUNK_BYTES)
        while output:
            yield output
            output = decompressor.decompress(decompressor.unconsumed_tail, CHUNK_BYTES)
        if decompressor.eof:
            return  # what follows the stream is not part of it


def _deflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``deflate`` is zlib-wrapped as the RFC says, or raw as some clients send it: a zlib stream
    starts with a header whose two bytes are a multiple of 31 and name method 8."""
    stream = iter(chunks)
    first = b""
    while len(first) < 2 and (chunk := next(stream, None)) is not None:
        first += chunk
    wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
    yield from _inflate(itertools.chain([first], stream), zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)


def _unbrotli(chunks: Iterable[bytes]) -> Iterator[bytes]:
    decompressor = brotli.Decompressor()
    for chunk in chunks:
        output = decompressor.process(chunk, output_buffer_limit=CHUNK_BYTES)
        while output:
            yield output
            output = decompressor.process(b"", output_buffer_limit=CHUNK_BYTES)
        if decompressor.is_finished():
            return


_DECODERS = {
    "gzip": lambda chunks: _inflate(chunks, 16 + zlib.MAX_WBITS),
    "x-gzip": lambda chunks: _inflate(chunks, 16 + zlib.MAX_WBITS),
    "deflate": _deflate,
    "br": _unbrotli,
}


def _bounded(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"Request body too large: over {limit} bytes decompressed")
        yield chunk


def _checked(chunks: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    """The stage's output, with a decoder's complaint about its input as a 400."""
    try:
        yield from chunks
    except (zlib.error, brotli.error):
        raise BadRequest(f"Body is not valid {encoding} data") from None


def decoded_chunks(raw: bytes, content_encoding: str | None, limit: int) -> Iterator[bytes]:
    """The body with every ``Content-Encoding`` undone (applied left to right, so undone in
    reverse), in pieces, ``PayloadTooLarge`` as soon as any stage has produced more than ``limit``
    bytes. Unsupported or too many encodings are refused before anything is decoded."""
    encodings = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
    encodings = [e for e in encodings if e != "identity"]
    for encoding in encodings:
        if encoding not in _DECODERS:
            raise UnsupportedEncoding(f"Unsupported Content-Encoding: {encoding}")
    if len(encodings) > MAX_ENCODINGS:
        raise UnsupportedEncoding(
            f"Unsupported Content-Encoding: more than {MAX_ENCODINGS} encodings in one body"
        )
    chunks: Iterator[bytes] = _bounded(_pieces(raw), limit)
    for encoding in reversed(encodings):
        chunks = _bounded(_checked(_DECODERS[encoding](chunks), encoding), limit)
    return chunks


def decode_body(raw: bytes, content_encoding: str | None, limit: int) -> bytes:
    """The whole decoded body (at most ``limit`` bytes)."""
    return b"".join(decoded_chunks(raw, content_encoding, limit))
