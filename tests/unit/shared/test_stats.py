"""shared.stats.percentile: nearest rank, p in percent, no interpolation, empty refused."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from shared.stats import percentile


class Case(NamedTuple):
    name: str
    values: list[float]
    p: float
    expect: float


ONE_TO_HUNDRED = [float(v) for v in range(100, 0, -1)]  # unsorted on purpose

CASES = [
    Case("one_value_is_every_percentile", [5.0], 50, 5.0),
    Case("one_value_at_the_top", [5.0], 100, 5.0),
    Case("median_of_two_is_the_lower", [1.0, 2.0], 50, 1.0),
    Case("just_over_half_of_two_is_the_upper", [1.0, 2.0], 51, 2.0),
    Case("hundred_is_the_maximum", [3.0, 1.0, 2.0], 100, 3.0),
    Case("input_order_does_not_matter", [3.0, 1.0, 2.0], 50, 2.0),
    Case("tiny_p_is_the_minimum", [3.0, 1.0, 2.0], 0.1, 1.0),
    Case("p50_of_1_to_100", ONE_TO_HUNDRED, 50, 50.0),
    Case("p95_of_1_to_100", ONE_TO_HUNDRED, 95, 95.0),
    Case("p99_of_1_to_100", ONE_TO_HUNDRED, 99, 99.0),
    # float p is read as written: 99.9 % of 1000 is exactly rank 999, not 1000
    Case("decimal_p_has_no_float_error", [float(v) for v in range(1, 1001)], 99.9, 999.0),
    # 0.29 · 100 is 28.999999999999996 in binary floating point; the rank is still 29
    Case("p29_of_100_is_rank_29", ONE_TO_HUNDRED, 29, 29.0),
    Case("a_value_never_interpolated", [10.0, 20.0, 30.0, 40.0], 50, 20.0),
    Case("ties_count_once_each", [1.0, 1.0, 1.0, 9.0], 75, 1.0),
    Case("fractional_latencies_kept_as_they_are", [0.0125, 0.5, 0.25], 50, 0.25),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_percentile(case: Case) -> None:
    assert percentile(case.values, case.p) == case.expect


def test_any_iterable_is_a_sample() -> None:
    assert percentile((v for v in (3.0, 1.0, 2.0)), 100) == 3.0


def test_empty_sample_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        percentile([], 50)


@pytest.mark.parametrize("p", [0, -1, 100.5, 101])
def test_p_out_of_range_is_refused(p: float) -> None:
    with pytest.raises(ValueError, match="out of range"):
        percentile([1.0], p)
