"""Filings (备案) and the rules that decide whether one covers a treatment (design §6).

22号文 and the seeds: emergency counts as filed (视同已备案); a filing made before discharge
settlement counts (补办); admission inside the validity with discharge after it still settles;
trauma with a liable third party is not settled directly; some regions need no filing for some
care (内蒙古细则 第十条; 天津 京津冀 outpatient pilot).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date

from services.insured_region.domain.person import Filing
from services.insured_region.domain.policy import (
    EMERGENCY_MED_TYPES,
    FILING_CATEGORIES,
    LONG_TERM_CATEGORIES,
    FilingRules,
    Pool,
    pool_of,
)
from shared.errors import E2001, E2002, E2003, E2004, E2005, E2006, E2007, RelayError
from shared.regions import REGIONS, covers, province_of

EMERGENCY_CATEGORY = "22"
ACTIVE = "active"
CANCELLED = "cancelled"
REVERSED = "reversed"
"""Taken back by a 2601: as if it had never been made."""


@dataclass(frozen=True, slots=True)
class FilingRequest:
    category: str
    dest_admdvs: str
    begndate: date
    enddate: date | None
    commitment: bool = True
    materials_complete: bool = False


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_shape(rules: FilingRules, insured_admdvs: str, req: FilingRequest) -> date | None:
    """The end date the filing gets, or an E2002/E2003 naming what is wrong."""
    if req.category not in FILING_CATEGORIES:
        raise RelayError(E2002, detail=f"category {req.category} is not one of 11–13, 21–23")
    if req.dest_admdvs not in REGIONS:
        raise RelayError(E2002, detail=f"destination {req.dest_admdvs} is not a known region")
    if covers(req.dest_admdvs, insured_admdvs) or covers(insured_admdvs, req.dest_admdvs):
        raise RelayError(E2002, detail="the destination is the insured region itself")
    if req.enddate is not None and req.enddate < req.begndate:
        raise RelayError(E2002, detail="enddate is before begndate")
    if req.category in LONG_TERM_CATEGORIES:
        if req.enddate is not None and req.enddate < add_months(
            req.begndate, rules.long_term_min_months
        ):
            raise RelayError(
                E2003,
                detail=f"a long-term filing lasts at least {rules.long_term_min_months} months",
            )
        return req.enddate  # open-ended unless set: 一次备案、长期有效
    if req.enddate is None:
        return add_months(req.begndate, rules.temporary_default_months)
    if req.enddate < add_months(req.begndate, rules.temporary_min_months):
        raise RelayError(
            E2003, detail=f"a temporary filing lasts at least {rules.temporary_min_months} months"
        )
    if req.enddate > add_months(req.begndate, rules.temporary_max_months):
        raise RelayError(
            E2003, detail=f"a temporary filing lasts at most {rules.temporary_max_months} months"
        )
    return req.enddate


def _kind(category: str) -> str:
    return "long_term" if category in LONG_TERM_CATEGORIES else "temporary"


def new_filing(
    rules: FilingRules,
    insured_admdvs: str,
    existing: tuple[Filing, ...],
    req: FilingRequest,
    filing_id: str,
) -> Filing:
    """A person holds one active long-term filing at a time; temporary ones may not overlap
    for the same destination."""
    enddate = _check_shape(rules, insured_admdvs, req)
    for f in existing:
        if f.status != ACTIVE or _kind(f.category) != _kind(req.category):
            continue
        if not _overlaps(f, req.begndate, enddate):
            continue  # 内蒙古细则 第十二条: 再次备案不设时间间隔
        if _kind(req.category) == "long_term" or f.dest_admdvs == req.dest_admdvs:
            raise RelayError(E2004, detail=f"filing {f.filing_id}")
    return Filing(
        filing_id=filing_id,
        category=req.category,
        dest_admdvs=req.dest_admdvs,
        begndate=req.begndate,
        enddate=enddate,
        status=ACTIVE,
        commitment=req.commitment,
        materials_complete=req.materials_complete,
    )


def _overlaps(f: Filing, begin: date, end: date | None) -> bool:
    return (f.enddate is None or begin <= f.enddate) and (end is None or f.begndate <= end)


def _check_unlocked(
    rules: FilingRules, filing: Filing, today: date, *, bringing_materials: bool = False
) -> None:
    """乌鲁木齐: no change or cancel of a long-term filing within 6 months; 内蒙古 (第十二条):
    only commitment filings are locked, for 3 months, and the materials lift the lock."""
    if filing.status != ACTIVE:
        raise RelayError(E2006, detail=filing.filing_id)
    if filing.category not in LONG_TERM_CATEGORIES or rules.long_term_lock_months == 0:
        return
    if rules.lock_waived_with_materials and (
        not filing.commitment or filing.materials_complete or bringing_materials
    ):
        return
    unlocks_on = add_months(filing.begndate, rules.long_term_lock_months)
    if today < unlocks_on:
        raise RelayError(E2005, detail=f"until {unlocks_on.isoformat()}")


def change_filing(
    rules: FilingRules, insured_admdvs: str, filing: Filing, req: FilingRequest, today: date
) -> Filing:
    _check_unlocked(rules, filing, today, bringing_materials=req.materials_complete)
    if _kind(req.category) != _kind(filing.category):
        raise RelayError(E2002, detail="a change keeps the filing long-term or temporary")
    enddate = _check_shape(rules, insured_admdvs, req)
    return replace(
        filing,
        category=req.category,
        dest_admdvs=req.dest_admdvs,
        begndate=req.begndate,
        enddate=enddate,
        materials_complete=req.materials_complete or filing.materials_complete,
    )


def cancel_filing(rules: FilingRules, filing: Filing, today: date) -> Filing:
    _check_unlocked(rules, filing, today)
    return replace(filing, status=CANCELLED)


@dataclass(frozen=True, slots=True)
class Care:
    """What the treating region tells about the care to be settled."""

    insured_admdvs: str
    treating_admdvs: str
    med_type: str
    admitted_on: date
    """Inpatient: the admission date; outpatient: the visit date."""
    settled_on: date
    emergency: bool = False
    trauma: bool = False
    third_party: bool = False


@dataclass(frozen=True, slots=True)
class Coverage:
    category: str | None
    """The filing category that sets the ratio cut; None where no filing is needed."""
    filing_id: str | None
    reason: str


def coverage(rules: FilingRules, filings: tuple[Filing, ...], care: Care) -> Coverage:
    """Which filing (or exemption) lets this care settle directly; E2001 when none does."""
    if care.trauma and care.third_party:
        raise RelayError(E2007)
    for f in sorted(filings, key=lambda f: (f.category not in LONG_TERM_CATEGORIES, f.begndate)):
        if f.status != ACTIVE or not covers(f.dest_admdvs, care.treating_admdvs):
            continue
        # 补办: a filing made before the settlement counts even if the stay began earlier;
        # admitted inside the validity and discharged after it still settles
        if f.begndate <= care.settled_on and (f.enddate is None or care.admitted_on <= f.enddate):
            return Coverage(f.category, f.filing_id, f"filing {f.filing_id}")
    same_province = province_of(care.treating_admdvs) == province_of(care.insured_admdvs)
    outpatient = pool_of(care.med_type) is not Pool.INPATIENT
    if rules.no_filing_intra_province and same_province:
        return Coverage(None, None, "no filing needed inside the province (内蒙古细则 第十条)")
    if rules.no_filing_cross_outpatient and outpatient and not same_province:
        return Coverage(None, None, "no filing needed for outpatient care (内蒙古细则 第十条)")
    if (
        care.med_type == "11"
        and province_of(care.treating_admdvs)[:2] in rules.no_filing_outpatient_provinces
    ):
        return Coverage(None, None, "no filing needed: 京津冀 outpatient pilot (天津)")
    if care.emergency or care.med_type in EMERGENCY_MED_TYPES:
        return Coverage(EMERGENCY_CATEGORY, None, "emergency counts as filed (视同已备案)")
    raise RelayError(E2001, detail=f"{care.treating_admdvs} on {care.admitted_on.isoformat()}")
