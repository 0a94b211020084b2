"""Pure ingestion rules: envelope framing, event normalisation (title, culprit, level, time) and
the grouping hash."""

from __future__ import annotations

import gzip
import random
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import brotli
import pytest

from shared.errors import BadRequest, ValidationFailed
from shared.ingest.dsn import public_key_from_request
from shared.ingest.encoding import PayloadTooLarge, decode_body
from shared.ingest.envelope import MAX_BODY_BYTES, parse_envelope
from shared.ingest.event import normalize_event
from shared.ingest.grouping import event_hash

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _frames(*frames: tuple[str, str, bool]) -> dict[str, Any]:
    return {"frames": [{"module": m, "function": f, "in_app": in_app} for m, f, in_app in frames]}


def _error(type_: str = "KeyError", value: str = "'a'", stack: dict[str, Any] | None = None, **extra: Any):
    exception = {"type": type_, "value": value}
    if stack is not None:
        exception["stacktrace"] = stack
    return normalize_event({"exception": {"values": [exception]}, **extra}, NOW)


def test_envelope_items_with_and_without_length() -> None:
    body = (
        b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n'
        b'{"type":"event","length":7}\n{"a":1}\n{"type":"session"}\n{}\n'
    )
    envelope = parse_envelope(body)
    assert envelope.headers["event_id"] == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert [(i.type, i.payload) for i in envelope.items] == [("event", b'{"a":1}'), ("session", b"{}")]
    # a length may cover newlines inside the payload
    binary = parse_envelope(b'{}\n{"type":"attachment","length":3}\na\nb\n')
    assert binary.items[0].payload == b"a\nb"


def test_decompression_is_bounded() -> None:
    assert decode_body(gzip.compress(b"x" * 10), "gzip", MAX_BODY_BYTES) == b"x" * 10
    with pytest.raises(PayloadTooLarge):
        decode_body(gzip.compress(b"0" * (MAX_BODY_BYTES + 1)), "gzip", MAX_BODY_BYTES)


def test_the_public_key_comes_from_header_query_or_envelope_dsn() -> None:
    header = {"x-sentry-auth": "Sentry sentry_key=abc, sentry_version=7"}
    assert public_key_from_request(header, {}) == "abc"
    assert public_key_from_request({"Authorization": "Sentry sentry_key=def"}, {}) == "def"
    assert public_key_from_request({"Authorization": "Bearer token"}, {"sentry_key": "ghi"}) == "ghi"
    assert public_key_from_request({}, {}, "https://jkl@o1.example.com/5") == "jkl"
    assert public_key_from_request({}, {}) is None


def test_error_title_culprit_and_metadata() -> None:
    event = _error(
        "ValueError", "bad\nsecond line", _frames(("lib.x", "inner", False), ("app.views", "index", True))
    )
    assert event.title == "ValueError: bad"
    assert event.culprit == "app.views in index"
    assert event.metadata == {"type": "ValueError", "value": "bad\nsecond line", "function": "index"}
    assert _error(value="").title == "KeyError"
    assert _error(transaction="/checkout").culprit == "/checkout"
    long = _error(value="v" * 300).title
    assert len(long) == len("KeyError: ") + 100 and long.endswith("...")


def test_message_events_level_and_time() -> None:
    event = normalize_event(
        {"message": "disk full\nmore", "level": "warning", "timestamp": "2026-11-23T11:00:00Z"}, NOW
    )
    assert (event.type, event.title, event.level) == ("default", "disk full", "warning")
    # Relay's level names: "critical" and "log" are aliases, "warn" is not one (an error event)
    levels = {name: normalize_event({"level": name}, NOW).level for name in ("critical", "log", "warn")}
    assert levels == {"critical": "fatal", "log": "info", "warn": "error"}
    assert event.timestamp == NOW - timedelta(hours=1)
    assert normalize_event({"logentry": {"formatted": "hi"}, "level": "nonsense"}, NOW).level == "error"
    assert normalize_event({"timestamp": (NOW + timedelta(hours=1)).timestamp()}, NOW).timestamp == NOW
    assert normalize_event({"timestamp": "not a time"}, NOW).timestamp == NOW
    assert normalize_event({}, NOW).title == "<unlabeled event>"
    with pytest.raises(ValidationFailed):
        normalize_event({"event_id": "xyz"}, NOW)
    with pytest.raises(BadRequest):
        normalize_event(["not", "an", "object"], NOW)


def test_grouping_uses_in_app_frames_and_ignores_values() -> None:
    stack = _frames(("django.core", "get_response", False), ("shop.views", "checkout", True))
    base = event_hash(_error("KeyError", "'a'", stack))
    assert event_hash(_error("KeyError", "'b'", stack)) == base  # the value does not count with frames
    other_system_frame = _frames(("flask.app", "dispatch", False), ("shop.views", "checkout", True))
    assert event_hash(_error("KeyError", "'a'", other_system_frame)) == base
    assert event_hash(_error("ValueError", "'a'", stack)) != base
    assert event_hash(_error("KeyError", "'a'", _frames(("shop.views", "pay", True)))) != base
    # without in-app frames every frame counts; without frames the value does
    system = _frames(("lib.a", "f", False))
    assert event_hash(_error("E", "x", system)) != event_hash(
        _error("E", "x", _frames(("lib.b", "f", False)))
    )
    assert event_hash(_error("E", "x")) != event_hash(_error("E", "y"))


def test_fingerprints_replace_or_extend_the_default() -> None:
    stack = _frames(("shop.views", "checkout", True))
    default = event_hash(_error(stack=stack))
    assert event_hash(_error(stack=stack, fingerprint=["{{ default }}"])) == default
    assert event_hash(_error(stack=stack, fingerprint=["{{default}}", "x"])) != default
    custom = event_hash(_error(stack=stack, fingerprint=["checkout", "db"]))
    assert event_hash(_error("Other", stack=stack, fingerprint=["checkout", "db"])) == custom
    assert event_hash(normalize_event({"message": "m", "fingerprint": ["checkout", "db"]}, NOW)) == custom
    assert event_hash(normalize_event({"message": "a"}, NOW)) != event_hash(
        normalize_event({"message": "b"}, NOW)
    )


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some clients send it
        ("br", brotli.compress),
        ("deflate, br", lambda data: brotli.compress(zlib.compress(data))),
        ("br, deflate", lambda data: zlib.compress(brotli.compress(data))),
    ],
)
def test_streamed_decoding_gives_the_whole_body(encoding: str, compress) -> None:
    # random bytes and a long run: output pieces of every size, across many input pieces
    data = random.Random(7).randbytes(300_000) + b"a" * 1_000_000 + b"end"
    assert decode_body(compress(data), encoding, MAX_BODY_BYTES) == data
    with pytest.raises(PayloadTooLarge):
        decode_body(compress(data), encoding, len(data) - 1)
