"""Prepayment funds (预付金, seed 003 第二十五–二十八条; design §8): each insured province holds a
quota at the national level; what its people's care elsewhere costs the funds is paid from it
until the monthly clearing settles it.

Pure: usage = fund amounts settled and not yet cleared ÷ quota; ≥ 70 % a yellow warning, ≥ 90 %
a red warning with an emergency top-up request (第二十六条); clearing releases usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Level(StrEnum):
    NORMAL = "normal"
    YELLOW = "yellow"
    RED = "red"


YELLOW_AT = Decimal("0.70")
RED_AT = Decimal("0.90")
RATIO_CAP = Decimal("9999.9999")
MONTHS_OF_SPENDING = 2
"""The quota is about two months of last year's spending (design §8)."""


def quota_of(
    last_year_spending: Decimal, *, configured: Decimal | None, minimum: Decimal
) -> Decimal:
    """A configured quota wins; else two months of last year's cross-region fund spending
    (recomputed each January, as 第二十八条 has it), never below ``minimum``."""
    if configured is not None:
        return configured
    computed = (last_year_spending * MONTHS_OF_SPENDING / 12).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )
    return max(computed, minimum)


def level_of(ratio: Decimal) -> Level:
    if ratio >= RED_AT:
        return Level.RED
    if ratio >= YELLOW_AT:
        return Level.YELLOW
    return Level.NORMAL


@dataclass(frozen=True, slots=True)
class Gauge:
    province: str
    quota: Decimal
    usage: Decimal

    @property
    def ratio(self) -> Decimal:
        """Usage over quota, to four places, capped where the books' column ends (a usage a
        hundred times the quota is off the scale; the level says red either way)."""
        return min((self.usage / self.quota).quantize(Decimal("0.0001"), ROUND_HALF_UP), RATIO_CAP)

    @property
    def level(self) -> Level:
        return level_of(self.usage / self.quota)


@dataclass(frozen=True, slots=True)
class Warning:
    """An event: the province's fund moved to ``level`` (a top-up is requested at red)."""

    gauge: Gauge
    level: Level

    @property
    def topup_requested(self) -> bool:
        return self.level is Level.RED


def warning_for(gauge: Gauge, last: Level) -> Warning | None:
    """A warning when the level differs from the last one said: up to yellow or red, and
    back to normal once clearing released the usage; nothing while it stays."""
    level = gauge.level
    return None if level is last else Warning(gauge, level)
