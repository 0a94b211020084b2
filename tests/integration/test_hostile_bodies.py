"""Hostile bodies at the ingestion edge: compression bombs of every accepted encoding, item and
blank-line floods, an envelope of thousands of events, deep nesting, huge declared lengths and
header lines, many and long request headers. Each gets its answer (code and Sentry-shaped body)
within a few seconds, queues nothing it refuses, and keeps the ingestion function's execution
environment — the worker process a Lambda environment is on this machine — under
``MEMORY_LIMIT`` of peak resident memory (``VmHWM``, reset before each request)."""

from __future__ import annotations

import functools
import gzip
import json
import struct
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import brotli
import pytest
import requests

from local.metering import count_requests
from local.template import routes
from tests.integration.test_ingest_api import _auth, _envelope, _event, _event_item, project_groups

INGEST = next(route.function for route in routes() if route.path.endswith("/envelope"))
MEMORY_LIMIT = 256 * 1024 * 1024  # half of what the template gives the function: room to spare
TIME_LIMIT = 5.0  # seconds; each of these is answered in well under one on an idle machine
BOMB_BYTES = 1 << 30  # what each bomb would inflate to: 1 GiB
TOO_LARGE = {"detail": "Request body too large: over 20971520 bytes decompressed"}
MISSING_KEY = {"detail": "Missing DSN public key (X-Sentry-Auth header or sentry_key parameter)"}
UNKNOWN_KEY = {"detail": "Unknown DSN key for this project"}
SECOND_EVENT = {"detail": "Invalid envelope: a second event item (an envelope carries one event)"}
MADE_UP_PROJECT = 987_654_321


MIB = 1 << 20


def _deflated_zeros(head: bytes) -> bytes:
    """Raw deflate of ``head`` and ``BOMB_BYTES`` zeros, made in milliseconds: after a full flush
    a deflate stream starts afresh, so the compressed form of one mebibyte of zeros can be
    repeated (compressing a gibibyte takes seconds)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = compressor.compress(head + bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + again * (BOMB_BYTES // MIB - 1) + compressor.flush()


@functools.cache
def _checksums(head: bytes) -> tuple[int, int]:
    """CRC-32 and Adler-32 of ``head`` and the zeros, as gzip's and zlib's trailers carry them."""
    crc, adler, zeros = zlib.crc32(head), zlib.adler32(head), bytes(MIB)
    for _ in range(BOMB_BYTES // MIB):
        crc, adler = zlib.crc32(zeros, crc), zlib.adler32(zeros, adler)
    return crc, adler


def _gzip_bomb(head: bytes) -> bytes:
    crc, _ = _checksums(head)
    trailer = struct.pack("<II", crc, (len(head) + BOMB_BYTES) & 0xFFFFFFFF)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + _deflated_zeros(head) + trailer


def _zlib_bomb(head: bytes) -> bytes:
    _, adler = _checksums(head)
    return b"\x78\xda" + _deflated_zeros(head) + struct.pack(">I", adler)


def _brotli_bomb(head: bytes) -> bytes:
    compressor, zeros = brotli.Compressor(quality=1), bytes(MIB)
    parts = [compressor.process(head)] + [compressor.process(zeros) for _ in range(BOMB_BYTES // MIB)]
    return b"".join(parts) + compressor.finish()


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": _gzip_bomb,
    "x-gzip": _gzip_bomb,
    "deflate": _zlib_bomb,
    "raw deflate": _deflated_zeros,
    "br": _brotli_bomb,
}


@functools.cache
def _bomb(encoding: str, head: bytes = b"") -> tuple[bytes, str]:
    """``head`` and a gibibyte of zeros, compressed (body, Content-Encoding)."""
    return COMPRESSORS[encoding](head), encoding.replace("raw ", "")


@dataclass
class Answer:
    status: int
    body: object
    seconds: float
    peak: int  # bytes: the highest resident memory of an ingestion environment during the request
    queued: int  # messages sent to the events queue while it ran


class Edge:
    """Posts to the ingestion routes and measures what each request cost the function's
    environments: their peak resident memory (the kernel's high-water mark, reset before the
    request through ``/proc/<pid>/clear_refs``) and the time to the answer."""

    def __init__(self, base_url: str, local_lambda, target: tuple[str, str, int]) -> None:
        self.base_url, self.pool = base_url, local_lambda.pool(INGEST)
        self.url, self.public_key, self.project_id = target
        # an environment that has served a request: the measurements below are of warm ones
        assert self.post(_envelope(_event_item(_event(fingerprint=["warm"]))), self.auth()).status == 200

    def auth(self) -> dict[str, str]:
        return _auth(self.public_key)

    def _pids(self) -> list[int]:
        with self.pool.lock:
            return [environment.process.pid for environment in self.pool.idle]

    def post(self, body: bytes, headers: dict[str, str], url: str | None = None) -> Answer:
        for pid in self._pids():
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak starts again from now
        with count_requests() as calls:
            started = time.monotonic()
            response = requests.post(url or self.url, data=body, headers=headers, timeout=60)
            seconds = time.monotonic() - started
        peak = max(_peak_bytes(pid) for pid in self._pids())
        return Answer(response.status_code, response.json(), seconds, peak, calls.get("SendMessage", 0))


def _peak_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for {pid}")


@pytest.fixture
def edge(base_url: str, local_lambda, target) -> Edge:
    return Edge(base_url, local_lambda, target)


def _bounded(answer: Answer) -> tuple[int, object]:
    """The answer's status and body, once its time, memory and queued messages are within bounds."""
    assert answer.seconds < TIME_LIMIT, answer
    assert answer.peak < MEMORY_LIMIT, f"{answer.peak / 2**20:.0f} MiB"
    if answer.status != 200:
        assert answer.queued == 0
    return answer.status, answer.body


@pytest.mark.parametrize("encoding", list(COMPRESSORS))
def test_a_bomb_of_each_encoding_stops_at_the_size_limit(edge: Edge, encoding: str) -> None:
    body, content_encoding = _bomb(encoding, b"{}\n")
    assert _bounded(edge.post(body, {**edge.auth(), "Content-Encoding": content_encoding})) == (
        413,
        TOO_LARGE,
    )


def test_a_bomb_inside_another_encoding_stops_at_the_size_limit(edge: Edge) -> None:
    body = gzip.compress(_bomb("br")[0])
    assert _bounded(edge.post(body, {**edge.auth(), "Content-Encoding": "br, gzip"})) == (413, TOO_LARGE)
    three = {**edge.auth(), "Content-Encoding": "gzip, gzip, gzip"}
    assert _bounded(edge.post(gzip.compress(gzip.compress(gzip.compress(b"{}\n"))), three)) == (
        415,
        {"detail": "Unsupported Content-Encoding: more than 2 encodings in one body"},
    )


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_keyless_bomb_is_refused_after_its_first_line(edge: Edge, encoding: str) -> None:
    """A request naming no key in its headers or query is authenticated by its envelope header:
    only the first line is decoded before the key is checked."""
    made_up = f"{edge.base_url}/api/{MADE_UP_PROJECT}/envelope/"
    no_key, _ = _bomb(encoding, b"{}\n")
    headers = {"Content-Encoding": encoding}
    assert _bounded(edge.post(no_key, headers, made_up)) == (401, MISSING_KEY)
    dsn = f"http://{uuid.uuid4().hex}@example.com/{MADE_UP_PROJECT}"
    unknown_key, _ = _bomb(encoding, json.dumps({"dsn": dsn}).encode() + b"\n")
    assert _bounded(edge.post(unknown_key, headers, made_up)) == (401, UNKNOWN_KEY)
    no_line, _ = _bomb(encoding)  # zeros from the first byte: no header line ends
    too_long = {"detail": "Invalid envelope: the envelope header is longer than 65536 bytes"}
    assert _bounded(edge.post(no_line, headers, made_up)) == (400, too_long)


def test_a_key_in_the_request_is_checked_before_the_body_is_decoded(edge: Edge) -> None:
    body, _ = _bomb("br", b"{}\n")
    made_up = f"{edge.base_url}/api/{MADE_UP_PROJECT}/envelope/"
    assert _bounded(edge.post(body, {**edge.auth(), "Content-Encoding": "br"}, made_up)) == (401, UNKNOWN_KEY)
    query = f"{made_up}?sentry_key={uuid.uuid4().hex}"
    assert _bounded(edge.post(body, {"Content-Encoding": "br"}, query)) == (401, UNKNOWN_KEY)
    # a body that is not brotli at all: decoded first, it would have been a 400
    garbage = {**edge.auth(), "Content-Encoding": "br"}
    assert _bounded(edge.post(b"plainly not brotli", garbage, made_up)) == (401, UNKNOWN_KEY)
    assert _bounded(edge.post(b"plainly not brotli", garbage)) == (
        400,
        {"detail": "Body is not valid br data"},
    )


def test_an_item_flood_is_refused_at_the_item_cap(edge: Edge) -> None:
    flood = b"{}\n" + b'{"type":"a"}\n\n' * 1_450_000  # just under the decoded limit
    body = gzip.compress(flood, 9)
    assert len(body) < 100_000
    answer = edge.post(body, {**edge.auth(), "Content-Encoding": "gzip"})
    assert _bounded(answer) == (400, {"detail": "Invalid envelope: more than 1000 items"})
    plain = b"{}\n" + b'{"type":"a"}\n\n' * 1001
    assert _bounded(edge.post(plain, edge.auth())) == (
        400,
        {"detail": "Invalid envelope: more than 1000 items"},
    )
    at_the_cap = b"{}\n" + b'{"type":"a"}\n\n' * 1000
    assert _bounded(edge.post(at_the_cap, edge.auth())) == (200, {})


def test_a_flood_of_blank_lines_is_skipped_at_once(edge: Edge) -> None:
    blank = b'{"event_id":"%s"}\n' % uuid.uuid4().hex.encode() + b"\n" * (20 * 1024 * 1024 - 64)
    answer = edge.post(gzip.compress(blank, 9), {**edge.auth(), "Content-Encoding": "gzip"})
    assert _bounded(answer) == (200, {"id": json.loads(blank.split(b"\n", 1)[0])["event_id"]})


def test_an_envelope_of_thousands_of_events_queues_none(edge: Edge) -> None:
    """The envelope format allows one event item; Relay drops an envelope with a second one. Here
    the whole envelope is refused, so no rate limit can be bypassed by packing events together."""
    events = [_event_item(_event()) for _ in range(5000)]
    answer = edge.post(gzip.compress(_envelope(*events)), {**edge.auth(), "Content-Encoding": "gzip"})
    assert _bounded(answer) == (400, SECOND_EVENT)
    assert _bounded(edge.post(_envelope(*events[:2]), edge.auth())) == (400, SECOND_EVENT)
    assert [g.times_seen for g in project_groups(edge.project_id)] == [1]  # the warm-up event only


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_deep_nesting_anywhere_is_a_400(edge: Edge, base_url: str) -> None:
    deep = _deep(30_000)  # far deeper than any parser recursion, within a header line's length
    cases = [
        (deep + b"\n", "Invalid envelope: the envelope header is not JSON"),
        (b"{}\n" + deep + b"\n", "Invalid envelope: an item header is not JSON"),
        (_envelope(({"type": "event"}, _deep(100_000))), "Invalid JSON in envelope item of type 'event'"),
        (
            _envelope(({"type": "event"}, b'{"extra":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001)),
            "Invalid JSON in envelope item of type 'event'",
        ),
    ]
    for body, message in cases:
        assert _bounded(edge.post(body, edge.auth())) == (400, {"detail": message})
    store = f"{base_url}/api/{edge.project_id}/store/"
    answer = edge.post(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, edge.auth(), store)
    assert _bounded(answer) == (400, {"detail": "Invalid event: body is not JSON"})
    # JSON any parser here reads, but deeper than Relay's normalizer reads: refused before queueing
    too_deep = {"detail": "Invalid event: objects and arrays nested more than 127 levels deep"}
    relay_deep = b'{"extra":' + _deep(127) + b"}"
    assert _bounded(edge.post(_envelope(({"type": "event"}, relay_deep)), edge.auth())) == (400, too_deep)
    assert _bounded(edge.post(relay_deep, edge.auth(), store)) == (400, too_deep)


def test_huge_declared_lengths_and_header_lines(edge: Edge) -> None:
    cases = [
        (b'{}\n{"type":"attachment","length":%d}\nabc\n' % 10**18, 400, "item is shorter than its length"),
        (b'{}\n{"type":"a","length":1e999}\nabc\n', 400, "item length is not a non-negative integer"),
        (b'{}\n{"type":"attachment","length":%s}\nabc\n' % (b"9" * 5000), 400, "an item header is not JSON"),
        (
            b'{}\n{"type":"a","pad":"%s"}\n{}\n' % (b"x" * 70_000),
            400,
            "an item header is longer than 65536 bytes",
        ),
        (b'{"pad":"%s"}\n' % (b"x" * 70_000), 400, "the envelope header is longer than 65536 bytes"),
    ]
    for body, status, message in cases:
        assert _bounded(edge.post(body, edge.auth())) == (status, {"detail": f"Invalid envelope: {message}"})
    big_event = _event(extra={"pad": "x" * (1024 * 1024)})
    answer = edge.post(_envelope(_event_item(big_event)), edge.auth())
    assert _bounded(answer) == (413, {"detail": "Event too large: the event item is over 1048576 bytes"})


def test_a_store_bomb_stops_at_the_event_limit(edge: Edge, base_url: str) -> None:
    body, _ = _bomb("gzip", b'{"message":"')
    store = f"{base_url}/api/{edge.project_id}/store/"
    answer = edge.post(body, {**edge.auth(), "Content-Encoding": "gzip"}, store)
    assert _bounded(answer) == (413, {"detail": "Request body too large: over 1048576 bytes decompressed"})


def test_the_largest_body_accepted_stays_within_memory(edge: Edge) -> None:
    """Just under the decoded limit, sent as it is: an event, attachments up to their envelope limit
    (16 MiB, kept on S3) and an ignored item filling the rest of ~20 MB."""
    event = _event(message="with large attachments")
    attachments = [
        ({"type": "attachment", "filename": f"dump{i}.bin"}, b"\x07" * (4 * 1024 * 1024)) for i in range(4)
    ]
    rest = ({"type": "replay_recording"}, b"\x08" * (4 * 1024 * 1024 - 4096))
    answer = edge.post(_envelope(_event_item(event), *attachments, rest), edge.auth())
    assert _bounded(answer) == (200, {"id": event["event_id"]})
    assert answer.queued == 1


def test_many_and_long_request_headers(edge: Edge) -> None:
    many = {f"X-Noise-{i}": "n" * 64 for i in range(90)}
    event = _event()
    answer = edge.post(_envelope(_event_item(event)), {**many, **edge.auth()})
    assert _bounded(answer) == (200, {"id": event["event_id"]})
    assert answer.queued == 1
    long_auth = "Sentry " + ", ".join(f"field{i}=value" for i in range(600)) + ", sentry_key=" + "f" * 32
    assert _bounded(edge.post(b"{}\n", {**many, "X-Sentry-Auth": long_auth})) == (401, UNKNOWN_KEY)
