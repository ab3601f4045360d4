"""The business clock: the one place every service takes "now" for business dates (design §8).

Settlement times, the accumulator year, filing validity, reconciliation days and clearing months
follow it. By default it is real time. A deployment may start it at a date and run it faster —
``RELAY_CLOCK_START=2026-01-01T08:00:00+08:00``, ``RELAY_CLOCK_SPEED=1440`` (a day a minute) — so a
simulation closes months in minutes. Every process of one deployment must read the same clock,
so they share ``RELAY_CLOCK_EPOCH``: the real moment at which business time was ``START``
(the start scripts set it once for all; a process left without it starts its clock at its own
start and says so).

Transport time is not business time: reply deadlines, timeouts, retries and message expiry stay
on the real clock (``datetime.now(UTC)``, ``loop.time()``); a fast business clock must never
make a reply late.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

log = logging.getLogger(__name__)

CHINA_TZ = timezone(timedelta(hours=8), "CST")
"""Business dates are China dates (UTC+8)."""


@dataclass(frozen=True, slots=True)
class BusinessClock:
    """Business time = ``start`` + (real time − ``epoch``) × ``speed``; real time when no start."""

    start: datetime | None = None
    speed: float = 1.0
    epoch: datetime | None = None

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError(f"the business clock's speed must be positive, not {self.speed}")
        for name in ("start", "epoch"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"the business clock's {name} needs an offset (+08:00, Z)")

    def at(self, real: datetime) -> datetime:
        """The business time at the real moment ``real`` (aware, UTC)."""
        if self.start is None and self.speed == 1.0:
            return real.astimezone(UTC)
        start = self.start or self.epoch or real
        epoch = self.epoch or start
        return (start + (real - epoch) * self.speed).astimezone(UTC)

    def now(self) -> datetime:
        return self.at(datetime.now(UTC))

    def today(self) -> date:
        """The business date: settlements, ages and filings are counted in China time."""
        return self.now().astimezone(CHINA_TZ).date()

    def real_seconds(self, business: timedelta) -> float:
        """How long ``business`` time takes in real seconds (a simulated day at this speed)."""
        return business.total_seconds() / self.speed

    def seconds_until(self, day: date) -> float:
        """Real seconds until this clock reaches the start of ``day`` in China (0: reached)."""
        midnight = datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)
        return max(0.0, self.real_seconds(midnight - self.now()))

    def describe(self) -> str:
        if self.start is None and self.speed == 1.0:
            return "real time"
        return f"business time from {self.start or 'epoch'} at ×{self.speed:g} since {self.epoch}"


_clock = BusinessClock()

ENVIRONMENT = ("RELAY_CLOCK_START", "RELAY_CLOCK_SPEED", "RELAY_CLOCK_EPOCH")
"""One clock per deployment, so no service prefix: every process reads these same three."""


def from_environment(environ: Mapping[str, str] | None = None) -> BusinessClock:
    """The deployment's clock from ``RELAY_CLOCK_START`` (ISO time with its offset),
    ``RELAY_CLOCK_SPEED`` (business seconds per real second) and ``RELAY_CLOCK_EPOCH``; unset,
    real time. ValueError naming the variable when one cannot be read."""
    env = os.environ if environ is None else environ

    def moment(name: str) -> datetime | None:
        text = env.get(name, "").strip()
        if not text:
            return None
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"{name}={text!r} is no ISO time (2026-01-01T08:00:00+08:00)"
            ) from None

    speed_text = env.get("RELAY_CLOCK_SPEED", "").strip() or "1"
    try:
        speed = float(speed_text)
    except ValueError:
        raise ValueError(f"RELAY_CLOCK_SPEED={speed_text!r} is no number") from None
    return BusinessClock(moment("RELAY_CLOCK_START"), speed, moment("RELAY_CLOCK_EPOCH"))


def install(clock: BusinessClock) -> BusinessClock:
    """Make ``clock`` this process's clock (at start, from the settings); returns it.

    A clock started elsewhere than at real time, but without an epoch, is pinned to this
    moment: this process then agrees with no other unless they started together."""
    global _clock
    if clock.epoch is None and (clock.start is not None or clock.speed != 1.0):
        clock = BusinessClock(clock.start, clock.speed, datetime.now(UTC))
        log.warning(
            "RELAY_CLOCK_EPOCH unset: this process's business clock starts now (%s); "
            "processes of one deployment must share one epoch",
            clock.epoch,
        )
    _clock = clock
    if clock.start is not None or clock.speed != 1.0:
        log.info("business clock: %s", clock.describe())
    return clock


def current() -> BusinessClock:
    return _clock


def now() -> datetime:
    """Business now (aware, UTC)."""
    return _clock.now()


def today() -> date:
    """Business today, in China."""
    return _clock.today()
