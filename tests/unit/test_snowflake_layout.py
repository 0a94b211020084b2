"""Sentry's snowflake bit layout, without storage."""

import pytest

from shared.snowflake import EPOCH, compose, decode, msb_0_ordering


def test_version_one_is_reversed_into_the_top_bits() -> None:
    assert msb_0_ordering(1, 5) == 16
    assert compose(0, 0, 0) == 16 << 48


def test_sentry_reference_value() -> None:
    # Sentry's test_generate_correct_ids: region 0, sequence 0 → (16 << 48) + (seconds << 16).
    seconds = 123_456_789
    assert compose(seconds, 0, 0) == (16 << 48) + (seconds << 16)


def test_segments_decode_back() -> None:
    snowflake = compose(98_765_432, 7, 15)
    parts = decode(snowflake)
    assert (parts.version, parts.seconds, parts.region, parts.sequence) == (16, 98_765_432, 7, 15)
    assert parts.created_at.timestamp() == EPOCH + 98_765_432
    assert snowflake < 2**53  # fits a JavaScript number


@pytest.mark.parametrize(("seconds", "region", "sequence"), [(2**32, 0, 0), (0, 4096, 0), (0, 0, 16)])
def test_overflowing_segment_is_refused(seconds: int, region: int, sequence: int) -> None:
    with pytest.raises(ValueError, match="exceed max bit value"):
        compose(seconds, region, sequence)
