from datetime import UTC, date, datetime, timedelta

import pytest

from shared import clock
from shared.clock import CHINA_TZ, BusinessClock

EPOCH = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("business", "real", "expected"),
    [
        # real time: the clock is the wall clock
        (BusinessClock(), EPOCH, EPOCH),
        # started elsewhere, at real speed: the offset stays
        (
            BusinessClock(datetime(2026, 1, 1, tzinfo=CHINA_TZ), 1.0, EPOCH),
            EPOCH + timedelta(hours=2),
            datetime(2026, 1, 1, 2, tzinfo=CHINA_TZ),
        ),
        # a simulated day per real minute
        (
            BusinessClock(datetime(2026, 1, 1, tzinfo=CHINA_TZ), 1440.0, EPOCH),
            EPOCH + timedelta(minutes=31),
            datetime(2026, 2, 1, tzinfo=CHINA_TZ),
        ),
        # faster from now: no start, the epoch is where business time equals real time
        (
            BusinessClock(None, 60.0, EPOCH),
            EPOCH + timedelta(minutes=1),
            EPOCH + timedelta(hours=1),
        ),
    ],
)
def test_business_time_is_start_plus_real_time_elapsed_times_speed(
    business: BusinessClock, real: datetime, expected: datetime
) -> None:
    assert business.at(real) == expected
    assert business.at(real).tzinfo is not None


def test_the_business_date_is_chinas() -> None:
    business = BusinessClock(datetime(2026, 1, 31, 23, 30, tzinfo=CHINA_TZ), 1.0, EPOCH)
    assert business.at(EPOCH).date() == date(2026, 1, 31)  # 15:30 UTC
    later = business.at(EPOCH + timedelta(minutes=31))
    assert later.astimezone(CHINA_TZ).date() == date(2026, 2, 1)


def test_a_day_at_speed_takes_real_seconds() -> None:
    assert BusinessClock(None, 1440.0, EPOCH).real_seconds(timedelta(days=1)) == 60.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"speed": 0.0}, "positive"),
        ({"start": datetime(2026, 1, 1)}, "offset"),
    ],
)
def test_a_clock_that_cannot_be_read_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessClock(**kwargs)  # type: ignore[arg-type]


def test_installed_without_an_epoch_it_starts_at_install() -> None:
    before = datetime.now(UTC)
    installed = clock.install(BusinessClock(datetime(2026, 1, 1, tzinfo=CHINA_TZ), 1440.0))
    try:
        assert installed.epoch is not None
        assert installed.epoch >= before
        assert clock.today() == date(2026, 1, 1)  # a few real ms are a few business minutes
        assert clock.now() >= datetime(2026, 1, 1, tzinfo=CHINA_TZ)
    finally:
        clock.install(BusinessClock())
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)


def test_the_environment_gives_one_unprefixed_clock() -> None:
    business = clock.from_environment(
        {
            "RELAY_CLOCK_START": "2026-01-01T08:00:00+08:00",
            "RELAY_CLOCK_SPEED": "1440",
            "RELAY_CLOCK_EPOCH": "2026-12-03T10:00:00Z",
        }
    )
    assert business == BusinessClock(datetime(2026, 1, 1, 0, tzinfo=UTC), 1440.0, EPOCH)
    assert clock.from_environment({}) == BusinessClock()


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"RELAY_CLOCK_START": "1 January"}, "RELAY_CLOCK_START"),
        ({"RELAY_CLOCK_SPEED": "fast"}, "RELAY_CLOCK_SPEED"),
        ({"RELAY_CLOCK_START": "2026-01-01T08:00:00"}, "offset"),
        ({"RELAY_CLOCK_SPEED": "-1"}, "positive"),
    ],
)
def test_a_clock_the_environment_cannot_give_names_the_variable(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        clock.from_environment(environ)
