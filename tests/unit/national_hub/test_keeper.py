"""The books keeper's own reconciliation (design §8): every business day once it is over, the
last one again, a few a round however fast the clock runs, paused when a region cannot answer."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.national_hub.adapters import held_answers
from services.national_hub.domain.reconciliation import DayReport
from services.national_hub.service_layer import books
from services.national_hub.service_layer.books import Keeper, Sources
from shared.errors import E6002
from shared.web import StatusError


class Regions:
    """Stands in for the two regions' statements: records the days asked, fails where told."""

    def __init__(self) -> None:
        self.days: list[date] = []
        self.down = False

    async def reconcile_day(self, *args: Any) -> DayReport:
        day: date = args[-1]  # (pool, http, sources, day)
        if self.down:
            raise StatusError(E6002, detail="down", status_code=503)
        self.days.append(day)
        return DayReport(day, ())


@pytest.fixture
def regions(monkeypatch: pytest.MonkeyPatch) -> Regions:
    fake = Regions()

    async def expire(*_: Any) -> int:
        return 0

    monkeypatch.setattr(books, "reconcile_day", fake.reconcile_day)
    monkeypatch.setattr(held_answers, "expire", expire)
    return fake


def keeper() -> Keeper:
    return Keeper(
        None,  # no database: reconcile_day and expire are faked
        None,  # type: ignore[arg-type]  # no broker: nothing is sent
        interval_s=1.0,
        auto_clearing=False,
        configured={},
        minimum=Decimal("0"),
        sources=Sources("http://127.0.0.1:1", "http://127.0.0.1:2", "token"),
    )


def days(first: str, count: int) -> list[date]:
    start = date.fromisoformat(first)
    return [start + timedelta(days=n) for n in range(count)]


async def test_each_day_once_it_is_over_and_the_last_one_again(regions: Regions) -> None:
    k = keeper()
    await k._reconcile_days(date(2026, 3, 10))
    assert regions.days == days("2026-03-08", 2)
    await k._reconcile_days(date(2026, 3, 10))  # the same business day: nothing more
    assert regions.days == days("2026-03-08", 2)
    await k._reconcile_days(date(2026, 3, 11))
    assert regions.days == days("2026-03-08", 2) + days("2026-03-09", 2)


async def test_a_fast_clock_is_followed_a_few_days_a_round_without_skipping_any(
    regions: Regions,
) -> None:
    k = keeper()
    await k._reconcile_days(date(2026, 3, 10))
    regions.days.clear()
    await k._reconcile_days(date(2026, 3, 30))
    assert regions.days == days("2026-03-09", books.RECONCILE_DAYS_PER_ROUND)
    while regions.days[-1] < date(2026, 3, 29):
        await k._reconcile_days(date(2026, 3, 30))
    assert set(days("2026-03-09", 21)) == set(regions.days)


async def test_a_region_that_cannot_answer_pauses_the_rounds(regions: Regions) -> None:
    k = keeper()
    regions.down = True
    await k._reconcile_days(date(2026, 3, 10))
    regions.down = False
    await k._reconcile_days(date(2026, 3, 10))  # within the pause: not tried
    assert regions.days == []
    k._next_try = 0.0  # the minute is over
    await k._reconcile_days(date(2026, 3, 10))
    assert regions.days == days("2026-03-08", 2)
