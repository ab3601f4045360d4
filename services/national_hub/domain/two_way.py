"""Two-way benefits under review (双向享受待遇: 天津 三(三); 乌鲁木齐 §一(五); 22号文).

Pure. A long-term resident filed elsewhere may settle both in the filing region and at home;
settling in both places at the same time, or going back and forth many times, is what the
supervisors must check (多次往返两地就医结算或同时段发生双向就医结算等疑似违规行为, 天津 三(三)).

The books know each settlement's business day, not the stay's dates, so "at the same time" is
read as settlements in both places at most ``overlap_days`` apart; a *round trip* is a return
to the place the person settled in before the other (home → away → home counts one).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Settled:
    """One settlement of a person as the books hold it."""

    psn_no: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    day: date
    setl_id: str
    fixmedins_code: str | None

    @property
    def at_home(self) -> bool:
        return self.mdtrtarea_admvs == self.insuplc_admdvs


OVERLAP_DAYS = 3
"""Settlements at home and away at most this many days apart are "at the same time"."""
MAX_ROUND_TRIPS = 2
"""More round trips than this within the window are flagged."""


@dataclass(frozen=True, slots=True)
class Rules:
    overlap_days: int = OVERLAP_DAYS
    max_round_trips: int = MAX_ROUND_TRIPS


@dataclass(frozen=True, slots=True)
class Flag:
    psn_no: str
    insuplc_admdvs: str
    reasons: tuple[str, ...]
    """In Chinese, each naming the rule it meets."""
    round_trips: int
    overlaps: tuple[tuple[Settled, Settled], ...]
    """Pairs (home, away) settled at the same time."""
    evidence: tuple[Settled, ...]
    """Every settlement of the person in the window, by day."""


def round_trips(settled: list[Settled]) -> int:
    """How many times the person came back to a place after settling in the other."""
    places = [s.at_home for s in sorted(settled, key=lambda s: (s.day, s.setl_id))]
    switches = sum(1 for a, b in itertools.pairwise(places) if a != b)
    return switches // 2


def overlaps(settled: list[Settled], within_days: int) -> list[tuple[Settled, Settled]]:
    home = [s for s in settled if s.at_home]
    away = [s for s in settled if not s.at_home]
    return [
        (h, a)
        for h in sorted(home, key=lambda s: (s.day, s.setl_id))
        for a in sorted(away, key=lambda s: (s.day, s.setl_id))
        if abs((h.day - a.day).days) <= within_days
    ]


def flags(settled: list[Settled], rules: Rules) -> list[Flag]:
    """The persons who settled both at home and away and meet a rule, each with the evidence."""
    by_person: dict[tuple[str, str], list[Settled]] = defaultdict(list)
    for s in settled:
        by_person[(s.psn_no, s.insuplc_admdvs)].append(s)
    found = []
    for (psn_no, insuplc), mine in sorted(by_person.items()):
        if all(s.at_home for s in mine) or not any(s.at_home for s in mine):
            continue
        reasons = []
        pairs = overlaps(mine, rules.overlap_days)
        if pairs:
            reasons.append(
                f"同时段发生双向就医结算：参保地与备案地结算相隔不超过 {rules.overlap_days} 天，"
                f"共 {len(pairs)} 对"
            )
        trips = round_trips(mine)
        if trips > rules.max_round_trips:
            reasons.append(
                f"多次往返两地就医结算：往返 {trips} 次，超过 {rules.max_round_trips} 次"
            )
        if reasons:
            found.append(
                Flag(
                    psn_no,
                    insuplc,
                    tuple(reasons),
                    trips,
                    tuple(pairs),
                    tuple(sorted(mine, key=lambda s: (s.day, s.setl_id))),
                )
            )
    return found
