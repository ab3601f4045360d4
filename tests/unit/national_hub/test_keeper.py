"""The books keeper's own reconciliation (design §8): every business day once it is over, the
last one again, a few a round however fast the clock runs, the days held answers settle on
once more after each is held, paused when a region cannot answer, and expiry only after a
round that left nothing undone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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
    """Stands in for the two regions' statements and the held answers: records the days
    asked and the expiries, fails where told."""

    def __init__(self) -> None:
        self.days: list[date] = []
        self.down = False
        self.stall_after: int | None = None
        self.held: dict[date, datetime] = {}
        self.expiries = 0

    async def reconcile_day(self, *args: Any) -> DayReport:
        day: date = args[-1]  # (pool, http, sources, day)
        if self.down:
            raise StatusError(E6002, detail="down", status_code=503)
        if self.stall_after is not None and len(self.days) >= self.stall_after:
            raise TimeoutError
        self.days.append(day)
        return DayReport(day, ())

    async def waiting_days(self, *_: Any) -> dict[date, datetime]:
        return dict(self.held)

    async def expire(self, *_: Any) -> int:
        self.expiries += 1
        return 0


@pytest.fixture
def regions(monkeypatch: pytest.MonkeyPatch) -> Regions:
    fake = Regions()
    monkeypatch.setattr(books, "reconcile_day", fake.reconcile_day)
    monkeypatch.setattr(held_answers, "waiting_days", fake.waiting_days)
    monkeypatch.setattr(held_answers, "expire", fake.expire)
    return fake


def keeper() -> Keeper:
    return Keeper(
        None,  # no database: reconcile_day, waiting_days and expire are faked
        None,  # type: ignore[arg-type]  # no broker: nothing is sent
        interval_s=1.0,
        auto_clearing=False,
        configured={},
        minimum=Decimal("0"),
        sources=Sources("http://127.0.0.1:1", "http://127.0.0.1:2", "token"),
    )


async def caught_up(regions: Regions, today: date) -> Keeper:
    """A keeper that has reconciled every day before ``today``; what it asked, forgotten."""
    k = keeper()
    await k._reconcile_days(today)
    regions.days.clear()
    regions.expiries = 0
    return k


def days(first: str, count: int) -> list[date]:
    start = date.fromisoformat(first)
    return [start + timedelta(days=n) for n in range(count)]


def at(hour: int) -> datetime:
    return datetime(2026, 3, 10, hour, tzinfo=UTC)


async def test_each_day_once_it_is_over_and_the_last_one_again(regions: Regions) -> None:
    k = keeper()
    await k._reconcile_days(date(2026, 3, 10))
    assert regions.days == days("2026-03-08", 2)
    await k._reconcile_days(date(2026, 3, 10))  # the same business day: nothing more
    assert regions.days == days("2026-03-08", 2)
    await k._reconcile_days(date(2026, 3, 11))
    assert regions.days == days("2026-03-08", 2) + days("2026-03-09", 2)
    assert regions.expiries == 2  # once per round that did all it planned


async def test_a_fast_clock_is_followed_a_few_days_a_round_without_skipping_any(
    regions: Regions,
) -> None:
    k = await caught_up(regions, date(2026, 3, 10))
    await k._reconcile_days(date(2026, 3, 30))
    assert regions.days == days("2026-03-09", books.RECONCILE_DAYS_PER_ROUND)
    assert regions.expiries == 0  # days are left: nothing expires yet
    for _ in range(10):
        if regions.days[-1] == date(2026, 3, 29):
            break
        await k._reconcile_days(date(2026, 3, 30))
    assert set(days("2026-03-09", 21)) == set(regions.days)
    assert regions.expiries == 1


async def test_the_days_held_answers_settle_on_are_tried_again_after_each_is_held(
    regions: Regions,
) -> None:
    k = await caught_up(regions, date(2026, 3, 10))
    regions.held = {date(2026, 2, 20): at(1), date(2026, 3, 10): at(2)}  # today's: not yet
    await k._reconcile_days(date(2026, 3, 10))
    assert regions.days == [date(2026, 2, 20)]
    await k._reconcile_days(date(2026, 3, 10))  # still held, nothing new: not again
    assert regions.days == [date(2026, 2, 20)]
    regions.held[date(2026, 2, 20)] = at(3)  # another answer of that day held since
    await k._reconcile_days(date(2026, 3, 10))
    assert regions.days == [date(2026, 2, 20)] * 2


async def test_a_region_that_cannot_answer_pauses_the_rounds(regions: Regions) -> None:
    k = keeper()
    regions.down = True
    await k._reconcile_days(date(2026, 3, 10))
    regions.down = False
    await k._reconcile_days(date(2026, 3, 10))  # within the pause: not tried
    assert regions.days == []
    assert regions.expiries == 0
    k._next_try = 0.0  # the minute is over
    await k._reconcile_days(date(2026, 3, 10))
    assert regions.days == days("2026-03-08", 2)


async def test_a_round_that_stalls_keeps_what_it_did_and_pauses_only_if_it_did_nothing(
    regions: Regions,
) -> None:
    k = keeper()
    regions.stall_after = 1
    await k._reconcile_days(date(2026, 3, 10))
    assert regions.days == [date(2026, 3, 8)]
    assert regions.expiries == 0
    await k._reconcile_days(date(2026, 3, 10))  # moved: no pause; stalls before any day
    assert regions.days == [date(2026, 3, 8)]
    regions.stall_after = None
    await k._reconcile_days(date(2026, 3, 10))  # did nothing last time: paused
    assert regions.days == [date(2026, 3, 8)]
    k._next_try = 0.0
    await k._reconcile_days(date(2026, 3, 10))  # from the day reached, that one again
    assert regions.days == [date(2026, 3, 8), date(2026, 3, 8), date(2026, 3, 9)]
    assert regions.expiries == 1


async def test_the_days_in_turn_go_before_held_days_and_nothing_expires_until_all_are_done(
    regions: Regions,
) -> None:
    k = await caught_up(regions, date(2026, 3, 10))
    old = days("2026-01-01", 5)
    regions.held = {day: at(1) for day in old}
    await k._reconcile_days(date(2026, 3, 20))  # the 9th again to the 19th: eleven in turn
    assert regions.days == days("2026-03-09", books.RECONCILE_DAYS_PER_ROUND)
    regions.days.clear()
    await k._reconcile_days(date(2026, 3, 20))  # the 15th again to the 19th, then held days
    assert regions.days == days("2026-03-15", 5) + old[:2]
    assert regions.expiries == 0
    regions.days.clear()
    await k._reconcile_days(date(2026, 3, 20))  # the days in turn done: the last held days
    assert regions.days == old[2:]
    assert regions.expiries == 1
    regions.days.clear()
    await k._reconcile_days(date(2026, 3, 20))  # all tried, none held since: nothing
    assert regions.days == []


class Rows:
    """A pool whose held answers carry these ``setl_time`` values."""

    def __init__(self, *setl_times: str | None) -> None:
        self.rows = [{"setl_time": s, "newest": at(n)} for n, s in enumerate(setl_times)]

    async def fetch(self, *_: Any) -> list[dict[str, Any]]:
        return self.rows


async def test_a_held_answer_s_day_is_its_setl_time_in_china_and_an_unreadable_one_names_none() -> (
    None
):
    pool = Rows(
        "2026-02-27T17:30:00+00:00",  # the 28th in China
        "2026-02-28T09:00:00+08:00",
        "9999-12-31T23:00:00+00:00",  # past the last date in China
        None,
        "yesterday",
    )
    assert await held_answers.waiting_days(pool) == {date(2026, 2, 28): at(1)}
