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
    EMERGENCY_CATEGORY,
    EMERGENCY_MED_TYPES,
    FILING_CATEGORIES,
    LONG_TERM_CATEGORIES,
    FilingRules,
    Pool,
    pool_of,
)
from shared.errors import E2001, E2002, E2003, E2004, E2005, E2006, E2007, RelayError
from shared.regions import REGIONS, covers, province_of

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
        raise RelayError(E2002, detail=f"备案类别 {req.category} 不在 11–13、21–23 之内")
    if req.dest_admdvs not in REGIONS:
        raise RelayError(E2002, detail=f"备案就医地 {req.dest_admdvs} 不是已知的医保区划")
    if covers(req.dest_admdvs, insured_admdvs) or covers(insured_admdvs, req.dest_admdvs):
        raise RelayError(E2002, detail="备案就医地不能是参保地本身")
    if req.enddate is not None and req.enddate < req.begndate:
        raise RelayError(E2002, detail="结束日期 enddate 早于开始日期 begndate")
    if req.category in LONG_TERM_CATEGORIES:
        if req.enddate is not None and req.enddate < add_months(
            req.begndate, rules.long_term_min_months
        ):
            raise RelayError(
                E2003,
                detail=f"长期备案有效期至少 {rules.long_term_min_months} 个月",
            )
        return req.enddate  # open-ended unless set: 一次备案、长期有效
    if req.enddate is None:
        return add_months(req.begndate, rules.temporary_default_months)
    if req.enddate < add_months(req.begndate, rules.temporary_min_months):
        raise RelayError(E2003, detail=f"临时备案有效期至少 {rules.temporary_min_months} 个月")
    if req.enddate > add_months(req.begndate, rules.temporary_max_months):
        raise RelayError(E2003, detail=f"临时备案有效期最长 {rules.temporary_max_months} 个月")
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
            raise RelayError(E2004, detail=f"原备案 {f.filing_id}")
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
        raise RelayError(E2005, detail=f"{unlocks_on.isoformat()} 起可办理")


def change_filing(
    rules: FilingRules, insured_admdvs: str, filing: Filing, req: FilingRequest, today: date
) -> Filing:
    _check_unlocked(rules, filing, today, bringing_materials=req.materials_complete)
    if _kind(req.category) != _kind(filing.category):
        raise RelayError(E2002, detail="变更不能在长期备案和临时备案之间转换")
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
    """What the treating region tells about the care, with its dates as the hospital states them."""

    insured_admdvs: str
    treating_admdvs: str
    med_type: str
    admitted_on: date
    """Inpatient: the admission date; outpatient: the visit date."""
    settled_on: date | None = None
    """The discharge (outpatient: visit) date the settlement states; None at admission (2401/2201),
    when the stay is still open and its end unknown."""
    emergency: bool = False
    trauma: bool = False
    third_party: bool = False


@dataclass(frozen=True, slots=True)
class Coverage:
    category: str | None
    """The filing category that sets the ratio cut; None where no filing is needed."""
    filing_id: str | None
    reason: str


ORDINARY_FORM = {"13": "11", "24": "21"}
"""The non-emergency form of an emergency med_type (13 急诊 → 11 普通门诊, 24 急诊转住院 → 21)."""


def covers_stay(
    f: Filing, treating_admdvs: str, admitted_on: date, settled_on: date | None
) -> bool:
    """The one rule admission and settlement share: the filing's place and validity meet the stay.

    Admitted inside the validity and discharged after it still settles (内蒙古细则 第十四条;
    seed 000 一(三)2); a filing begun before the discharge settlement counts (补办: seed 002;
    内蒙古细则 第十五条; seed 000 一(四)). At admission (``settled_on`` None) the stay is open,
    so only a validity that ended before the admission rules a filing out.
    """
    return (
        f.status == ACTIVE
        and covers(f.dest_admdvs, treating_admdvs)
        and (f.enddate is None or admitted_on <= f.enddate)
        and (settled_on is None or f.begndate <= settled_on)
    )


def no_filing_needed(rules: FilingRules, care: Care) -> str | None:
    """Why this care needs no filing at all, or None where it needs one.

    Judged on the care, not on the emergency label: an emergency is the same care, so it is
    exempt exactly when the care would be (内蒙古细则 第十条; 天津 京津冀 outpatient pilot).
    """
    if care.treating_admdvs == care.insured_admdvs:
        # care at home is not 异地就医; a long-term resident filed elsewhere keeps it (双向享受待遇:
        # 乌鲁木齐 一(五), 22号文 "备案有效期内确需回参保地就医的，可以在参保地享受医保结算服务")
        return "care in the person's own pool needs no filing (本地就医)"
    med_type = ORDINARY_FORM.get(care.med_type, care.med_type)
    same_province = province_of(care.treating_admdvs) == province_of(care.insured_admdvs)
    if rules.no_filing_intra_province and same_province:
        return "no filing needed inside the province (内蒙古细则 第十条)"
    outpatient = pool_of(med_type) is not Pool.INPATIENT
    if rules.no_filing_cross_outpatient and outpatient and not same_province:
        return "no filing needed for outpatient care (内蒙古细则 第十条)"
    if (
        med_type == "11"
        and province_of(care.treating_admdvs)[:2] in rules.no_filing_outpatient_provinces
    ):
        return "no filing needed: 京津冀 outpatient pilot (天津)"
    return None


def coverage(rules: FilingRules, filings: tuple[Filing, ...], care: Care) -> Coverage:
    """Which filing (or exemption) lets this care settle directly; E2001 when none does.

    The same function answers at admission and at settlement, on the hospital's dates
    (``covers_stay``). Care that needs no filing gets the no-filing treatment, emergency or not,
    and whatever filing is held: no cut, which no filing can better (22号文 cuts are ≥ 0). Where a
    filing is needed, a held one applies; an emergency without one counts as filed, category 22
    (视同已备案: seed 002; 内蒙古细则 第三十四条). An emergency holding a filing that is cut more
    than category 22 is paid as an emergency: the breakdown takes the smaller cut (seed 000 一(六)).
    """
    if care.trauma and care.third_party:
        raise RelayError(E2007)
    exempt = no_filing_needed(rules, care)
    if exempt is not None:
        return Coverage(None, None, exempt)
    for f in sorted(filings, key=lambda f: (f.category not in LONG_TERM_CATEGORIES, f.begndate)):
        if covers_stay(f, care.treating_admdvs, care.admitted_on, care.settled_on):
            return Coverage(f.category, f.filing_id, f"filing {f.filing_id}")
    if care.emergency or care.med_type in EMERGENCY_MED_TYPES:
        return Coverage(EMERGENCY_CATEGORY, None, "emergency counts as filed (视同已备案)")
    raise RelayError(
        E2001, detail=f"就医地 {care.treating_admdvs}，就诊日期 {care.admitted_on.isoformat()}"
    )
