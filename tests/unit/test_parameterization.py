"""Message parameterization for grouping, against the examples Sentry documents for its own
(its grouping tests' standard cases): each value alone, and inside a sentence."""

from __future__ import annotations

import pytest

from shared.ingest.parameterization import message_for_grouping, parameterize

CASES = [
    ("maisey@dogsaregreat.com", "<email>"),
    ("maisey.thedog+x@dogsaregreat.com", "<email>"),
    ("http://dogsaregreat.com/adopt/dont/shop.js?command=sit&trick=spin", "<url>"),
    ("http://charlie:s3cretSqu1rrel@dogsaregreat.com:10", "<url>"),
    ("http://localhost:8000", "<url>"),
    ("http://[2001:db8::1]:80", "<url>"),
    ("dogs.squirrelchasers.net", "<hostname>"),
    ("11.21.12.31", "<ip>"),
    ("::", "<ip>"),
    ("::1", "<ip>"),
    ("fc00::/7", "<ip>"),
    ("2012:d157::cbe:908:2013", "<ip>"),
    ("::ffff:192.168.1.1", "<ip>"),
    ("1121:0c03:1231:130d:0000:16da:0908:da07", "<ip>"),
    ("Option::unwrap()", "Option::unwrap()"),
    ("Bee::buzz()", "Bee::buzz()"),
    ("12345:6:789", "<int>:<int>:<int>"),
    ("traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "traceparent: <traceparent>"),
    ("1-67891233-abcdef012345678912345678", "<traceparent>"),
    ("abc1-67891233-abcdef012345678912345678", "<hex>-<hex>-<hex>"),
    ("bea691f2-2e25-4bec-6838-e0c44b03d60a/7c1811ed-e98f-4c9c-a9f9-58c757ff494f", "<uuid>/<uuid>"),
    ("5fc35719b9cf96ec602dbc748ff31c587a46961d", "<sha1>"),
    ("0751007cd28df267e8e051b51f918c60", "<md5>"),
    ("2024-02-20T22:16:36", "<date>"),
    ("Mon, 02 Jan 06 15:04 MST", "<date>"),
    ("Mon, 02 Jan 2006 15:04:05 -0700", "<date>"),
    ("Monday, 02-Jan-06 15:04:05 MST", "<date>"),
    ("Mon Jan 02 2006 14:04:05 GMT-0800 (Pacific Standard Time)", "<date>"),
    ("Mon Jan 02 2006 14:04:05 GMT+0000", "<date>"),
    ("2006-01-02T15:04:05Z07:00", "<date>"),
    ("2006-01-02T15:04:05.999999999Z", "<date>"),
    ("2006-01-02", "<date>"),
    ("Jan 18, 2019", "<date>"),
    ("Mon Jan 02, 1999", "<date>"),
    ("2006-01-02 15:04:05+01:00", "<date>"),
    ("20060102 150405", "<date>"),
    ("20060102T150405+0100", "<date>"),
    ("20240220 11:55:33.546593", "<date>"),
    ("2024-02-23 02:13:53.418", "<date>"),
    ("11:21", "<date>"),
    ("11:21:12 AM", "<date>"),
    ("12:31 pm", "<date>"),
    ("23:21:12", "<date>"),
    ("0:12", "<date>"),
    ("908:31", "<int>:<int>"),
    ("11:2112", "<int>:<int>"),
    ("31:21", "<int>:<int>"),
    ("12:99", "<int>:<int>"),
    ("12:31:99", "<int>:<int>:<int>"),
    ("datetime.datetime(2025, 6, 24, 18, 33, 0, 447640)", "<date>"),
    ("0ms", "<duration>"),
    ("1000000ms", "<duration>"),
    ("0.100s", "<duration>"),
    ("10s", "<duration>"),
    ("tx274a77a8975c4a66aeb24-0052d95365-cluster01", "<swift_txn_id>"),
    ("ab274a77a8975c4a66aeb24-0052d95365", "<hex>-<hex>"),
    ("0x9af8", "<hex>"),
    ("0xDEADBEEF", "<hex>"),
    ("9af", "9af"),
    ("9af8", "<hex>"),
    ("9AF8C3BE3A1231FE", "<hex>"),
    ("b0" * 64, "<hex>"),
    ("deadbee", "deadbee"),
    ("deadbeef", "<hex>"),
    ("CAFE 123", "CAFE <int>"),
    ("1234567", "<int>"),
    ("-1234567", "<int>"),
    ("12345678", "<hex>"),
    ("-12345678", "<hex>"),
    ("commit a93c7d2", "commit <git_sha>"),
    ("commit cabcafe", "commit cabcafe"),
    ("commit 4150908", "commit <int>"),
    ("0.23", "<float>"),
    ("-23", "<int>"),
    ("0:17502", "<int>:<int>"),
    ("value:-17502", "value:<int>"),
    ("415-908", "<int>-<int>"),
    ("maisey-908", "maisey-<int>"),
    ('{"msg" => "(#239323)', '{"msg" => "(#<int>)'),
    ("2006-01-40", "<int>-<int>-<int>"),
    ("10000-01-02", "<int>-<int>-<int>"),
    ("b = '1'", "b = '<int>'"),
    ("b='1'", "b=<quoted_str>"),
    ('b="0.0.0.0 1 a=True"', "b=<quoted_str>"),
    ("b='value\"", "b='value\""),
    ("a=False", "a=<bool>"),
    ("a = true", "a = true"),
    ("A quick brown fox", "A quick brown fox"),
    ("0.0.0.0:80", "<ip>:<int>"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_sentrys_documented_cases(text: str, expected: str) -> None:
    assert parameterize(text) == expected
    assert parameterize(f"prefix {text} suffix") == f"prefix {expected} suffix"


def test_messages_keep_two_lines_and_mark_the_cut() -> None:
    assert message_for_grouping("Order 12345 failed") == "Order <int> failed"
    assert message_for_grouping("first 1\n\n  \nsecond 2\nthird 3") == "first <int>\nsecond <int>..."
    assert message_for_grouping("one line") == "one line"
