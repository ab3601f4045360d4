"""Summary figures for samples (the simulator's report and the benches)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction


def percentile(values: Iterable[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value with at least p % of the sample at or below.

    No interpolation: the answer is always one of the values (the ``ceil(p/100 · n)``-th smallest,
    counting from 1). ``p`` is read as the decimal it is written as (``99.9`` is exactly 99.9 %), so
    the rank has no floating-point error.

    Args:
        values: the sample, in any order; must not be empty.
        p: the percentile in percent, 0 < p ≤ 100 (50 is the median, 100 the maximum).

    Raises:
        ValueError: the sample is empty or p is out of range. A caller with a figure for "no
            samples" (0, NaN, None) writes it itself.
    """
    if not 0 < p <= 100:
        raise ValueError(f"percentile out of range: {p}")
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of an empty sample")
    rank = math.ceil(Fraction(str(p)) * len(ordered) / 100)
    return ordered[max(1, rank) - 1]
