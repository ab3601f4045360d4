"""Business months as the platform names them (``202601``): parsed as people write them, and
the calendar arithmetic clearing, co-investigation and monitoring share. Pure (stdlib only)."""

from __future__ import annotations

import re
from datetime import date, timedelta

_MONTH = re.compile(r"(19|20)\d\d(0[1-9]|1[0-2])", re.ASCII)


def parse_month(text: str) -> str:
    """``202601`` or ``2026-01`` → ``202601``; ValueError naming what is wrong otherwise."""
    digits = text.strip().replace("-", "")
    if not _MONTH.fullmatch(digits):
        raise ValueError(f"{text[:10]!r} 应为六位年月（如 202601）")
    return digits


def month_of(day: date) -> str:
    return f"{day:%Y%m}"


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[4:]), 1)


def next_month(month: str) -> str:
    return month_of(first_day(month) + timedelta(days=31))


def previous_month(month: str) -> str:
    return month_of(first_day(month) - timedelta(days=1))


def last_day(month: str) -> date:
    return first_day(next_month(month)) - timedelta(days=1)
