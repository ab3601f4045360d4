"""The filing check at admission (2401/2201) and at settlement agree (issue 12, item 16).

Both call ``coverage`` on the dates the hospital states: the admission date, and at settlement the
discharge date; at admission the stay is still open (``settled_on`` None). The rule (design §6):
admitted inside the validity and discharged after it still settles (内蒙古细则 第十四条;
seed 000 一(三)2); a filing begun before the discharge settlement counts (补办: seed 002;
内蒙古细则 第十五条; seed 000 一(四)). With no change in filings, admission never refuses a
stay that settlement would settle, and on the grid below (discharge on or after the filing's
start) the two agree exactly. The converse cannot hold for a filing dated to begin after the
discharge: its end is unknown at admission, so admission lets it in and settlement refuses it
(pinned by the last test).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from services.insured_region.adapters.policy_loader import load_policies
from services.insured_region.domain.filing import Care, Coverage, coverage
from services.insured_region.domain.person import Filing
from services.insured_region.domain.policy import FilingRules
from shared.errors import RelayError

# the shipped policy files: both need a filing for cross-province inpatient care
# (seed 000 一(二); 内蒙古细则 第十一条)
POLICIES = load_policies()
RULES = {admdvs: POLICIES[admdvs].filing for admdvs in ("650100", "150200")}
URUMQI = RULES["650100"]
TREATING = "110000"

START = date(2025, 3, 1)
END = date(2025, 9, 1)


@dataclass(frozen=True, slots=True)
class Window:
    name: str
    category: str
    begndate: date
    enddate: date | None


WINDOWS = (
    Window("temporary_6_months", "23", START, END),
    Window("referral_one_day", "21", START, START),
    Window("long_term_open", "12", START, None),
    Window("long_term_closed", "11", START, END),
)


def admissions(w: Window) -> dict[str, date]:
    """Admission before, on the first day of, inside, on the last day of and after the window."""
    if w.enddate is None:  # open: no last day, nothing after
        return {
            "before": w.begndate - timedelta(days=10),
            "first_day": w.begndate,
            "inside": w.begndate + timedelta(days=200),
        }
    return {
        "before": w.begndate - timedelta(days=10),
        "first_day": w.begndate,
        "inside": w.begndate + (w.enddate - w.begndate) // 2,
        "last_day": w.enddate,
        "after": w.enddate + timedelta(days=1),
    }


def discharges(w: Window, admitted: date) -> dict[str, date]:
    """Discharge inside the window, on its last day and after it (never before the admission)."""
    if w.enddate is None:
        return {"inside": max(admitted, w.begndate) + timedelta(days=12)}
    found = {"after": max(admitted, w.enddate) + timedelta(days=20)}
    if admitted <= w.enddate:
        found["inside"] = max(admitted, w.begndate + (w.enddate - w.begndate) // 3)
        found["last_day"] = w.enddate
    return found


def outcome(rules: FilingRules, filings: tuple[Filing, ...], care: Care) -> str:
    """The category and filing that cover the care, or the error code."""
    try:
        got = coverage(rules, filings, care)
    except RelayError as exc:
        return exc.code
    assert isinstance(got, Coverage)
    return f"{got.category}:{got.filing_id}"


@dataclass(frozen=True, slots=True)
class Stay:
    name: str
    insured: str
    window: Window
    admitted: date
    discharged: date


STAYS = [
    Stay(f"{insured}-{w.name}-admitted_{a}-discharged_{d}", insured, w, admitted, discharged)
    for insured in sorted(RULES)
    for w in WINDOWS
    for a, admitted in admissions(w).items()
    for d, discharged in discharges(w, admitted).items()
]


def test_the_grid_has_every_admission_and_discharge_kind() -> None:
    names = [s.name for s in STAYS]
    for admitted in ("before", "first_day", "inside", "last_day", "after"):
        assert any(f"admitted_{admitted}-" in n for n in names), admitted
    for discharged in ("inside", "last_day", "after"):
        assert any(n.endswith(f"discharged_{discharged}") for n in names), discharged
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("stay", STAYS, ids=lambda s: s.name)
@pytest.mark.parametrize("emergency", [False, True], ids=["planned", "emergency"])
def test_admission_and_settlement_checks_agree(stay: Stay, emergency: bool) -> None:
    rules = RULES[stay.insured]
    w = stay.window
    filing = Filing("F1", w.category, TREATING, w.begndate, w.enddate, "active")
    for filings in ((), (filing,)):
        at_admission = Care(stay.insured, TREATING, "21", stay.admitted, None, emergency=emergency)
        at_settlement = Care(
            stay.insured, TREATING, "21", stay.admitted, stay.discharged, emergency=emergency
        )
        assert outcome(rules, filings, at_admission) == outcome(rules, filings, at_settlement)


@pytest.mark.parametrize(
    ("admitted", "discharged", "expect"),
    [
        (date(2025, 2, 20), date(2025, 3, 5), "23:F1"),  # 补办 before discharge (第十五条)
        (date(2025, 8, 25), date(2025, 9, 10), "23:F1"),  # admitted inside, out after (第十四条)
        (date(2025, 9, 2), date(2025, 9, 10), "E2001"),  # admitted after the validity
    ],
    ids=["retro_filing", "discharged_after_the_end", "admitted_after_the_end"],
)
def test_the_shared_rule_on_named_stays(admitted: date, discharged: date, expect: str) -> None:
    filing = Filing("F1", "23", TREATING, START, END, "active")
    for settled_on in (None, discharged):
        care = Care("650100", TREATING, "21", admitted, settled_on)
        assert outcome(URUMQI, (filing,), care) == expect


def test_admission_never_refuses_a_stay_the_settlement_would_settle() -> None:
    """At admission the discharge is not known: a refusal there holds for every discharge date.

    The converse cannot be had: a stay discharged before a forward-dated filing begins passes the
    admission (the stay could still reach the filing) and is refused at settlement (E2001).
    """
    filing = Filing("F1", "23", TREATING, START, END, "active")
    day = START - timedelta(days=40)
    while day <= END + timedelta(days=10):
        at_admission = outcome(URUMQI, (filing,), Care("650100", TREATING, "21", day, None))
        for length in (0, 1, 5, 30, 60):
            discharged = day + timedelta(days=length)
            settled = outcome(URUMQI, (filing,), Care("650100", TREATING, "21", day, discharged))
            if at_admission == "E2001":
                assert settled == "E2001", (day, discharged)
            elif settled != "E2001":
                assert settled == at_admission, (day, discharged)
        day += timedelta(days=3)
