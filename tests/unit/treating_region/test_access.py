"""x-tif timestamps as real clients send them: Unix seconds, or milliseconds (design §3)."""

from __future__ import annotations

import pytest

from services.treating_region.entrypoints.access import sent_at


@pytest.mark.parametrize(
    ("stamp", "seconds"),
    [
        ("1764660000", 1764660000.0),
        ("1764660000123", 1764660000.123),
        (" 1764660000 ", 1764660000.0),
    ],
)
def test_seconds_and_milliseconds_are_told_apart_by_magnitude(stamp: str, seconds: float) -> None:
    assert sent_at(stamp) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "stamp",
    ["", "17646600", "+1764660000", "1_764_660_000", "001764660000", "1764660000.5", "1e9"],
)
def test_anything_else_is_no_timestamp(stamp: str) -> None:
    """Refused as E9008 by the check, never stored padded (the nonce table keys on it)."""
    with pytest.raises(ValueError, match="时间戳"):
        sent_at(stamp)
