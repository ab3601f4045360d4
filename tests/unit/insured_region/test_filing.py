"""Named tables for filings (备案): shape, conflicts, lock periods and coverage (design §6).

The rules below are literal copies of the ``[filing]`` tables in ``policies/*.toml``
(乌鲁木齐 650100, 天津 120000, 内蒙古 159900 / 150200 / 150781), written out so the tables do not
move when the data files change. Seeds: 000 乌鲁木齐 一(三)(四); 001 天津 四(二)(四);
003 内蒙古细则 第十条–第十五条, 第三十四条, 第三十五条.

A case whose expected behaviour follows the seeds but not the current code carries ``xfail``: the
reason names the disagreement, and the test is a strict xfail until the code is settled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import pytest

from services.insured_region.domain.filing import (
    Care,
    Coverage,
    FilingRequest,
    add_months,
    cancel_filing,
    change_filing,
    coverage,
    new_filing,
)
from services.insured_region.domain.person import Filing
from services.insured_region.domain.policy import FilingRules
from shared.errors import (
    E2001,
    E2002,
    E2003,
    E2004,
    E2005,
    E2006,
    E2007,
    ErrorSpec,
    RelayError,
)

# policies/650100_urumqi.toml [filing] — seed 000 (三): 一次备案、长期有效, no change or cancel
# within 6 months; temporary 一次备案、半年有效
URUMQI = FilingRules(
    long_term_min_months=0,
    long_term_lock_months=6,
    lock_waived_with_materials=False,
    temporary_min_months=6,
    temporary_max_months=6,
    temporary_default_months=6,
    no_filing_intra_province=False,
    no_filing_cross_outpatient=False,
    no_filing_outpatient_provinces=(),
)

# policies/120000_tianjin.toml [filing] — seed 001 四(二)(四): long-term self-set and changeable;
# temporary at most 12 months; 京津冀 ordinary-outpatient pilot (北京 11, 河北 13)
TIANJIN = FilingRules(
    long_term_min_months=0,
    long_term_lock_months=0,
    lock_waived_with_materials=False,
    temporary_min_months=6,
    temporary_max_months=12,
    temporary_default_months=12,
    no_filing_intra_province=False,
    no_filing_cross_outpatient=False,
    no_filing_outpatient_provinces=("11", "13"),
)

# policies/159900_inner_mongolia_region.toml, 150200_baotou.toml and 150781_manzhouli.toml share
# this [filing] table — seed 003 第十条, 第十二条 (temporary maximum illustrative)
INNER_MONGOLIA = FilingRules(
    long_term_min_months=3,
    long_term_lock_months=3,
    lock_waived_with_materials=True,
    temporary_min_months=6,
    temporary_max_months=12,
    temporary_default_months=6,
    no_filing_intra_province=True,
    no_filing_cross_outpatient=True,
    no_filing_outpatient_provinces=(),
)

ACTIVE = "active"
CANCELLED = "cancelled"


def filing(
    filing_id: str,
    category: str,
    dest: str,
    begin: date,
    end: date | None = None,
    *,
    status: str = ACTIVE,
    commitment: bool = True,
    materials_complete: bool = False,
) -> Filing:
    return Filing(
        filing_id=filing_id,
        category=category,
        dest_admdvs=dest,
        begndate=begin,
        enddate=end,
        status=status,
        commitment=commitment,
        materials_complete=materials_complete,
    )


def request(
    category: str,
    dest: str,
    begin: date,
    end: date | None = None,
    *,
    commitment: bool = True,
    materials_complete: bool = False,
) -> FilingRequest:
    return FilingRequest(category, dest, begin, end, commitment, materials_complete)


def filed(req: FilingRequest, end: date | None, filing_id: str = "F-NEW") -> Filing:
    """The active filing ``new_filing`` should return for ``req`` with the given end date."""
    return filing(
        filing_id,
        req.category,
        req.dest_admdvs,
        req.begndate,
        end,
        commitment=req.commitment,
        materials_complete=req.materials_complete,
    )


def params(cases: list[NewCase] | list[LockCase] | list[CoverCase]) -> list[object]:
    """Cases with an ``xfail`` reason become strict xfails: seeds and code disagree there."""
    return [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=c.xfail)) if c.xfail else c
        for c in cases
    ]


MAR_1 = date(2025, 3, 1)

# --- new_filing -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewCase:
    name: str
    rule: str
    rules: FilingRules
    insured: str
    req: FilingRequest
    expect: Filing | ErrorSpec
    existing: tuple[Filing, ...] = ()
    detail: str = ""
    xfail: str = ""


_R = {
    "lt11_urumqi_open": request("11", "110000", MAR_1),
    "lt12_tianjin_open": request("12", "130000", MAR_1),
    "lt13_im_3m": request("13", "220100", MAR_1, date(2025, 6, 1)),
    "t21_tianjin_6m": request("21", "110000", MAR_1, date(2025, 9, 1)),
    "t22_baotou_12m": request("22", "650100", MAR_1, date(2026, 3, 1)),
    "t23_urumqi_6m": request("23", "220100", MAR_1, date(2025, 9, 1)),
    "lt_tianjin_short": request("11", "110000", MAR_1, date(2025, 4, 1)),
    "lt_im_open": request("12", "110000", MAR_1),
    "t_urumqi_default": request("21", "110000", MAR_1),
    "t_urumqi_default_clamped": request("23", "110000", date(2025, 8, 31)),
    "t_tianjin_12m": request("23", "650100", MAR_1, date(2026, 3, 1)),
    "t_tianjin_default": request("23", "650100", MAR_1),
    "t_im_6m": request("23", "110000", MAR_1, date(2025, 9, 1)),
    "t_im_intra": request("23", "150200", MAR_1, date(2025, 9, 1)),
    "lt12_urumqi_to_hebei": request("12", "130000", date(2025, 7, 1)),
    "t_tianjin_to_beijing": request("23", "110000", date(2025, 6, 1), date(2025, 12, 1)),
    "t_tianjin_after_prev": request("23", "110000", date(2025, 9, 2), date(2026, 3, 2)),
    "lt_im_after_expired": request("12", "130000", date(2025, 9, 1)),
}

NEW_CASES = [
    NewCase(
        "category_11_resettled_retiree_open_ended_accepted",
        "seed 000 (三)1 一次备案、长期有效; design §6 categories",
        URUMQI,
        "650100",
        _R["lt11_urumqi_open"],
        filed(_R["lt11_urumqi_open"], None),
    ),
    NewCase(
        "category_12_long_term_resident_open_ended_accepted",
        "seed 001 四(二): 备案长期有效",
        TIANJIN,
        "120000",
        _R["lt12_tianjin_open"],
        filed(_R["lt12_tianjin_open"], None),
    ),
    NewCase(
        "category_13_posted_worker_exactly_3_months_accepted",
        "seed 003 第十二条(一): 备案有效期不得短于3个月",
        INNER_MONGOLIA,
        "159900",
        _R["lt13_im_3m"],
        filed(_R["lt13_im_3m"], date(2025, 6, 1)),
    ),
    NewCase(
        "category_21_referral_accepted",
        "seed 001 四(二): temporary at most 12 months",
        TIANJIN,
        "120000",
        _R["t21_tianjin_6m"],
        filed(_R["t21_tianjin_6m"], date(2025, 9, 1)),
    ),
    NewCase(
        "category_22_emergency_12_months_accepted",
        "seed 003 第十二条(二): temporary ≥ 6 months, self-set",
        INNER_MONGOLIA,
        "150200",
        _R["t22_baotou_12m"],
        filed(_R["t22_baotou_12m"], date(2026, 3, 1)),
    ),
    NewCase(
        "category_23_other_temporary_half_year_accepted",
        "seed 000 (三)2 一次备案、半年有效",
        URUMQI,
        "650100",
        _R["t23_urumqi_6m"],
        filed(_R["t23_urumqi_6m"], date(2025, 9, 1)),
    ),
    NewCase(
        "unknown_category_14_is_e2002",
        "design §6: categories 11–13, 21–23 only",
        TIANJIN,
        "120000",
        request("14", "110000", MAR_1, date(2025, 9, 1)),
        E2002,
        detail="备案类别 14",
    ),
    NewCase(
        "unknown_destination_is_e2002",
        "design §6: a filing names a destination admdvs of the scenario",
        TIANJIN,
        "120000",
        request("23", "440100", MAR_1, date(2025, 9, 1)),
        E2002,
        detail="440100",
    ),
    NewCase(
        "destination_own_pool_is_e2002",
        "design §6: a filing is for care outside the insured region",
        URUMQI,
        "650100",
        request("12", "650100", MAR_1),
        E2002,
    ),
    NewCase(
        "destination_own_province_is_e2002",
        "design §6: a province code covers the insured pool itself",
        URUMQI,
        "650100",
        request("23", "650000", MAR_1, date(2025, 9, 1)),
        E2002,
    ),
    NewCase(
        "tianjin_filing_to_tianjin_is_e2002",
        "design §6: 天津 files at province level, so 120000 is its own pool",
        TIANJIN,
        "120000",
        request("21", "120000", MAR_1, date(2025, 9, 1)),
        E2002,
    ),
    NewCase(
        "inner_mongolia_filing_to_own_province_is_e2002",
        "design §6: 150000 covers 包头 itself",
        INNER_MONGOLIA,
        "150200",
        request("12", "150000", MAR_1),
        E2002,
    ),
    NewCase(
        "inner_mongolia_filing_to_another_pool_in_the_region_accepted",
        "seed 000 一(二): 省内异地 filings exist; 159900 → 150200 is not the own pool",
        INNER_MONGOLIA,
        "159900",
        _R["t_im_intra"],
        filed(_R["t_im_intra"], date(2025, 9, 1)),
    ),
    NewCase(
        "temporary_end_before_begin_is_e2002",
        "design §6: an end date after the start",
        TIANJIN,
        "120000",
        request("23", "110000", MAR_1, date(2025, 2, 28)),
        E2002,
        detail="enddate",
    ),
    NewCase(
        "long_term_end_before_begin_is_e2002",
        "design §6: an end date after the start",
        URUMQI,
        "650100",
        request("11", "110000", MAR_1, date(2025, 2, 1)),
        E2002,
        detail="enddate",
    ),
    NewCase(
        "tianjin_long_term_self_set_short_end_accepted",
        "seed 001 四(二): 可根据实际情况设定备案有效期限",
        TIANJIN,
        "120000",
        _R["lt_tianjin_short"],
        filed(_R["lt_tianjin_short"], date(2025, 4, 1)),
    ),
    NewCase(
        "inner_mongolia_long_term_without_end_accepted",
        "seed 003 第十二条(一): 未设定备案结束时间的备案长期有效",
        INNER_MONGOLIA,
        "159900",
        _R["lt_im_open"],
        filed(_R["lt_im_open"], None),
    ),
    NewCase(
        "inner_mongolia_long_term_a_day_short_of_3_months_is_e2003",
        "seed 003 第十二条(一): 备案有效期不得短于3个月",
        INNER_MONGOLIA,
        "159900",
        request("13", "220100", MAR_1, date(2025, 5, 31)),
        E2003,
        detail="至少 3 个月",
    ),
    NewCase(
        "inner_mongolia_long_term_2_months_is_e2003",
        "seed 003 第十二条(一): 备案有效期不得短于3个月",
        INNER_MONGOLIA,
        "150781",
        request("11", "110000", MAR_1, date(2025, 5, 1)),
        E2003,
    ),
    NewCase(
        "urumqi_temporary_gets_6_month_default_end",
        "seed 000 (三)2 一次备案、半年有效",
        URUMQI,
        "650100",
        _R["t_urumqi_default"],
        filed(_R["t_urumqi_default"], date(2025, 9, 1)),
    ),
    NewCase(
        "urumqi_temporary_default_end_clamped_to_month_end",
        "seed 000 (三)2 半年有效: Aug 31 + 6 months = Feb 28",
        URUMQI,
        "650100",
        _R["t_urumqi_default_clamped"],
        filed(_R["t_urumqi_default_clamped"], date(2026, 2, 28)),
    ),
    NewCase(
        "urumqi_temporary_7_months_is_e2003",
        "seed 000 (三)2 半年有效",
        URUMQI,
        "650100",
        request("23", "110000", MAR_1, date(2025, 10, 1)),
        E2003,
        detail="最长 6 个月",
    ),
    NewCase(
        "tianjin_temporary_13_months_is_e2003",
        "seed 001 四(二): 备案有效期限最长为12个月",
        TIANJIN,
        "120000",
        request("23", "650100", MAR_1, date(2026, 4, 1)),
        E2003,
        detail="最长 12 个月",
    ),
    NewCase(
        "tianjin_temporary_12_months_accepted",
        "seed 001 四(二): 备案有效期限最长为12个月",
        TIANJIN,
        "120000",
        _R["t_tianjin_12m"],
        filed(_R["t_tianjin_12m"], date(2026, 3, 1)),
    ),
    NewCase(
        "tianjin_temporary_without_end_gets_12_months",
        "policies/120000_tianjin.toml temporary_default_months = 12",
        TIANJIN,
        "120000",
        _R["t_tianjin_default"],
        filed(_R["t_tianjin_default"], date(2026, 3, 1)),
    ),
    NewCase(
        "inner_mongolia_temporary_5_months_is_e2003",
        "seed 003 第十二条(二): 不少于6个月",
        INNER_MONGOLIA,
        "159900",
        request("23", "110000", MAR_1, date(2025, 8, 1)),
        E2003,
        detail="至少 6 个月",
    ),
    NewCase(
        "inner_mongolia_temporary_6_months_accepted",
        "seed 003 第十二条(二): 不少于6个月",
        INNER_MONGOLIA,
        "159900",
        _R["t_im_6m"],
        filed(_R["t_im_6m"], date(2025, 9, 1)),
    ),
    NewCase(
        "second_active_long_term_is_e2004",
        "design §6: one active long-term filing at a time; change it instead",
        URUMQI,
        "650100",
        _R["lt12_urumqi_to_hebei"],
        E2004,
        existing=(filing("F-OLD", "11", "110000", MAR_1),),
        detail="F-OLD",
    ),
    NewCase(
        "long_term_after_a_cancelled_long_term_accepted",
        "design §6: only active filings conflict",
        URUMQI,
        "650100",
        _R["lt12_urumqi_to_hebei"],
        filed(_R["lt12_urumqi_to_hebei"], None),
        existing=(filing("F-OLD", "11", "110000", MAR_1, status=CANCELLED),),
    ),
    NewCase(
        "long_term_after_an_expired_long_term_accepted",
        "seed 003 第十二条(一): 再次备案不设时间间隔; E2004 is for a valid (有效) filing",
        INNER_MONGOLIA,
        "159900",
        _R["lt_im_after_expired"],
        filed(_R["lt_im_after_expired"], None),
        existing=(filing("F-OLD", "12", "110000", MAR_1, date(2025, 6, 1)),),
    ),
    NewCase(
        "temporary_beside_an_active_long_term_accepted",
        "design §6: long-term and temporary filings are separate kinds",
        TIANJIN,
        "120000",
        _R["t_tianjin_to_beijing"],
        filed(_R["t_tianjin_to_beijing"], date(2025, 12, 1)),
        existing=(filing("F-OLD", "12", "130000", MAR_1),),
    ),
    NewCase(
        "temporary_same_destination_overlapping_is_e2004",
        "design §6: temporary filings may not overlap for the same destination",
        TIANJIN,
        "120000",
        _R["t_tianjin_to_beijing"],
        E2004,
        existing=(filing("F-OLD", "21", "110000", MAR_1, date(2025, 9, 1)),),
        detail="F-OLD",
    ),
    NewCase(
        "temporary_other_destination_overlapping_accepted",
        "design §6: overlap matters only for the same destination",
        TIANJIN,
        "120000",
        _R["t_tianjin_to_beijing"],
        filed(_R["t_tianjin_to_beijing"], date(2025, 12, 1)),
        existing=(filing("F-OLD", "21", "650100", MAR_1, date(2025, 9, 1)),),
    ),
    NewCase(
        "temporary_same_destination_cancelled_one_does_not_count",
        "design §6: only active filings conflict",
        TIANJIN,
        "120000",
        _R["t_tianjin_to_beijing"],
        filed(_R["t_tianjin_to_beijing"], date(2025, 12, 1)),
        existing=(filing("F-OLD", "21", "110000", MAR_1, date(2025, 9, 1), status=CANCELLED),),
    ),
    NewCase(
        "temporary_same_destination_after_the_previous_ended_accepted",
        "design §6: no overlap, no conflict",
        TIANJIN,
        "120000",
        _R["t_tianjin_after_prev"],
        filed(_R["t_tianjin_after_prev"], date(2026, 3, 2)),
        existing=(filing("F-OLD", "21", "110000", MAR_1, date(2025, 9, 1)),),
    ),
]


@pytest.mark.parametrize("case", params(NEW_CASES), ids=lambda c: c.name)
def test_new_filing(case: NewCase) -> None:
    if isinstance(case.expect, ErrorSpec):
        with pytest.raises(RelayError) as info:
            new_filing(case.rules, case.insured, case.existing, case.req, "F-NEW")
        assert info.value.code == case.expect.code
        assert case.detail in info.value.detail
    else:
        got = new_filing(case.rules, case.insured, case.existing, case.req, "F-NEW")
        assert got == case.expect


# --- change_filing / cancel_filing ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LockCase:
    name: str
    rule: str
    rules: FilingRules
    insured: str
    current: Filing
    action: Literal["change", "cancel"]
    today: date
    expect: Filing | ErrorSpec
    req: FilingRequest | None = None
    detail: str = ""
    xfail: str = ""


_URUMQI_LT = filing("F1", "11", "110000", MAR_1)
_URUMQI_LT_MATERIALS = filing("F1", "11", "110000", MAR_1, materials_complete=True)
_URUMQI_TEMP = filing("F2", "23", "110000", MAR_1, date(2025, 9, 1))
_IM_LT = filing("F3", "12", "110000", MAR_1)
_IM_LT_MATERIALS = filing("F3", "12", "110000", MAR_1, materials_complete=True)
_IM_LT_COUNTER = filing("F3", "12", "110000", MAR_1, commitment=False)
_TIANJIN_LT = filing("F4", "12", "130000", MAR_1)
_TIANJIN_TEMP = filing("F5", "23", "110000", MAR_1, date(2025, 9, 1))

_TO_HEBEI = request("11", "130000", MAR_1)
_IM_TO_HEBEI = request("12", "130000", MAR_1)
_IM_TO_HEBEI_WITH_MATERIALS = request("12", "130000", MAR_1, materials_complete=True)


def moved(current: Filing, req: FilingRequest, end: date | None) -> Filing:
    """What ``change_filing`` should return: the same filing id, the request's content."""
    return replace(
        current,
        category=req.category,
        dest_admdvs=req.dest_admdvs,
        begndate=req.begndate,
        enddate=end,
        materials_complete=req.materials_complete or current.materials_complete,
    )


LOCK_CASES = [
    LockCase(
        "urumqi_change_long_term_within_6_months_is_e2005",
        "seed 000 (三)1: 原则上6个月内不得变更或取消就医地",
        URUMQI,
        "650100",
        _URUMQI_LT,
        "change",
        date(2025, 8, 31),
        E2005,
        req=_TO_HEBEI,
        detail="2025-09-01 起",
    ),
    LockCase(
        "urumqi_cancel_long_term_within_6_months_is_e2005",
        "seed 000 (三)1: 原则上6个月内不得变更或取消就医地",
        URUMQI,
        "650100",
        _URUMQI_LT,
        "cancel",
        date(2025, 3, 2),
        E2005,
        detail="2025-09-01 起",
    ),
    LockCase(
        "urumqi_materials_do_not_lift_the_6_month_lock",
        "seed 000 (三)1: the lock has no materials exception (unlike 内蒙古)",
        URUMQI,
        "650100",
        _URUMQI_LT_MATERIALS,
        "cancel",
        date(2025, 5, 1),
        E2005,
        detail="2025-09-01 起",
    ),
    LockCase(
        "urumqi_change_long_term_on_the_unlock_date_ok",
        "seed 000 (三)1: 6个月内 — from the 6-month date on the change is allowed",
        URUMQI,
        "650100",
        _URUMQI_LT,
        "change",
        date(2025, 9, 1),
        moved(_URUMQI_LT, _TO_HEBEI, None),
        req=_TO_HEBEI,
    ),
    LockCase(
        "urumqi_cancel_long_term_after_6_months_ok",
        "seed 000 (三)1: 原则上6个月内不得变更或取消就医地",
        URUMQI,
        "650100",
        _URUMQI_LT,
        "cancel",
        date(2025, 10, 15),
        replace(_URUMQI_LT, status=CANCELLED),
    ),
    LockCase(
        "urumqi_cancel_temporary_the_next_day_ok",
        "seed 000 (三)2: 也可根据实际需要自行取消异地就医备案",
        URUMQI,
        "650100",
        _URUMQI_TEMP,
        "cancel",
        date(2025, 3, 2),
        replace(_URUMQI_TEMP, status=CANCELLED),
    ),
    LockCase(
        "inner_mongolia_change_commitment_filing_within_3_months_is_e2005",
        "seed 003 第十二条(一): 未满3个月须在补充相关材料后方可变更备案",
        INNER_MONGOLIA,
        "159900",
        _IM_LT,
        "change",
        date(2025, 5, 31),
        E2005,
        req=_IM_TO_HEBEI,
        detail="2025-06-01 起",
    ),
    LockCase(
        "inner_mongolia_change_within_3_months_with_materials_complete_ok",
        "seed 003 第十二条(一): 补充相关材料后方可变更",
        INNER_MONGOLIA,
        "159900",
        _IM_LT_MATERIALS,
        "change",
        date(2025, 4, 1),
        moved(_IM_LT_MATERIALS, _IM_TO_HEBEI, None),
        req=_IM_TO_HEBEI,
    ),
    LockCase(
        "inner_mongolia_change_after_3_months_ok",
        "seed 003 第十二条(一): 超过3个月后可进行变更",
        INNER_MONGOLIA,
        "150200",
        _IM_LT,
        "change",
        date(2025, 6, 1),
        moved(_IM_LT, _IM_TO_HEBEI, None),
        req=_IM_TO_HEBEI,
    ),
    LockCase(
        "inner_mongolia_change_within_3_months_bringing_the_materials_ok",
        "seed 003 第十二条(一): 未满3个月须在补充相关材料后方可变更备案",
        INNER_MONGOLIA,
        "159900",
        _IM_LT,
        "change",
        date(2025, 4, 1),
        moved(_IM_LT, _IM_TO_HEBEI_WITH_MATERIALS, None),
        req=_IM_TO_HEBEI_WITH_MATERIALS,
    ),
    LockCase(
        "inner_mongolia_lock_is_only_for_commitment_filings",
        "seed 003 第十二条(一): 采取承诺制生效的备案超过3个月后可进行变更",
        INNER_MONGOLIA,
        "159900",
        _IM_LT_COUNTER,
        "change",
        date(2025, 4, 1),
        moved(_IM_LT_COUNTER, _IM_TO_HEBEI, None),
        req=_IM_TO_HEBEI,
    ),
    LockCase(
        "tianjin_change_long_term_the_next_day_ok",
        "seed 001 四(二): 可根据实际情况设定备案有效期限并进行变更或取消",
        TIANJIN,
        "120000",
        _TIANJIN_LT,
        "change",
        date(2025, 3, 2),
        moved(_TIANJIN_LT, request("12", "650100", MAR_1), None),
        req=request("12", "650100", MAR_1),
    ),
    LockCase(
        "cancel_a_cancelled_filing_is_e2006",
        "design §6 / E2006: no active filing with this id",
        TIANJIN,
        "120000",
        replace(_TIANJIN_TEMP, status=CANCELLED),
        "cancel",
        date(2025, 4, 1),
        E2006,
        detail="F5",
    ),
    LockCase(
        "change_a_cancelled_filing_is_e2006",
        "design §6 / E2006: no active filing with this id",
        URUMQI,
        "650100",
        replace(_URUMQI_LT, status=CANCELLED),
        "change",
        date(2026, 1, 1),
        E2006,
        req=_TO_HEBEI,
        detail="F1",
    ),
    LockCase(
        "change_long_term_to_temporary_is_e2002",
        "design §6: a change keeps the kind; file a temporary one instead",
        TIANJIN,
        "120000",
        _TIANJIN_LT,
        "change",
        date(2025, 4, 1),
        E2002,
        req=request("23", "130000", MAR_1, date(2025, 9, 1)),
    ),
    LockCase(
        "change_temporary_to_long_term_is_e2002",
        "design §6: a change keeps the kind; file a long-term one instead",
        TIANJIN,
        "120000",
        _TIANJIN_TEMP,
        "change",
        date(2025, 4, 1),
        E2002,
        req=request("12", "110000", MAR_1),
    ),
    LockCase(
        "change_temporary_within_its_limits_ok",
        "seed 001 四(二): temporary at most 12 months",
        TIANJIN,
        "120000",
        _TIANJIN_TEMP,
        "change",
        date(2025, 4, 1),
        moved(_TIANJIN_TEMP, request("21", "110000", MAR_1, date(2026, 3, 1)), date(2026, 3, 1)),
        req=request("21", "110000", MAR_1, date(2026, 3, 1)),
    ),
    LockCase(
        "change_is_checked_like_a_new_filing",
        "seed 003 第十二条(一): a changed long-term filing still lasts ≥ 3 months",
        INNER_MONGOLIA,
        "159900",
        _IM_LT,
        "change",
        date(2025, 7, 1),
        E2003,
        req=request("12", "130000", MAR_1, date(2025, 5, 1)),
    ),
]


def _act(case: LockCase) -> Filing:
    if case.action == "cancel":
        return cancel_filing(case.rules, case.current, case.today)
    assert case.req is not None
    return change_filing(case.rules, case.insured, case.current, case.req, case.today)


@pytest.mark.parametrize("case", params(LOCK_CASES), ids=lambda c: c.name)
def test_change_and_cancel(case: LockCase) -> None:
    if isinstance(case.expect, ErrorSpec):
        with pytest.raises(RelayError) as info:
            _act(case)
        assert info.value.code == case.expect.code
        assert case.detail in info.value.detail
    else:
        assert _act(case) == case.expect


# --- coverage -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Covered:
    category: str | None
    filing_id: str | None


@dataclass(frozen=True, slots=True)
class CoverCase:
    name: str
    rule: str
    rules: FilingRules
    filings: tuple[Filing, ...]
    care: Care
    expect: Covered | ErrorSpec
    xfail: str = ""


ADMIT = date(2025, 5, 3)
DISCHARGE = date(2025, 5, 12)


def care(
    insured: str,
    treating: str,
    med_type: str = "21",
    admitted: date = ADMIT,
    settled: date = DISCHARGE,
    *,
    emergency: bool = False,
    trauma: bool = False,
    third_party: bool = False,
) -> Care:
    return Care(
        insured_admdvs=insured,
        treating_admdvs=treating,
        med_type=med_type,
        admitted_on=admitted,
        settled_on=settled,
        emergency=emergency,
        trauma=trauma,
        third_party=third_party,
    )


_LT_BEIJING = filing("L1", "11", "110000", date(2024, 1, 1))
_LT_HEBEI = filing("L2", "12", "130000", date(2024, 1, 1))
_TEMP_BEIJING = filing("T1", "23", "110000", MAR_1, date(2025, 9, 1))
_TEMP_SHIJIAZHUANG = filing("T2", "23", "130100", date(2023, 6, 1), date(2026, 6, 1))

COVER_CASES = [
    CoverCase(
        "long_term_filing_to_the_treating_pool_covers",
        "design §6: a filing covers its destination",
        URUMQI,
        (_LT_BEIJING,),
        care("650100", "110000"),
        Covered("11", "L1"),
    ),
    CoverCase(
        "filing_to_a_province_covers_a_city_in_it",
        "design §6: a province code covers the whole province",
        TIANJIN,
        (_LT_HEBEI,),
        care("120000", "130100"),
        Covered("12", "L2"),
    ),
    CoverCase(
        "filing_to_another_province_does_not_cover",
        "design §6: no valid filing where one is needed → E2001",
        URUMQI,
        (_LT_HEBEI,),
        care("650100", "220100"),
        E2001,
    ),
    CoverCase(
        "filing_to_one_city_does_not_cover_another_city",
        "design §6: a city code covers that city only",
        URUMQI,
        (filing("C1", "12", "150200", date(2024, 1, 1)),),
        care("650100", "150781"),
        E2001,
    ),
    CoverCase(
        "admitted_inside_validity_discharged_after_the_end_covered",
        "seed 000 (三)2 超期时间视为备案有效期内; seed 003 第十四条",
        URUMQI,
        (_TEMP_BEIJING,),
        care("650100", "110000", admitted=date(2025, 8, 25), settled=date(2025, 9, 10)),
        Covered("23", "T1"),
    ),
    CoverCase(
        "admitted_on_the_last_day_of_validity_covered",
        "seed 003 第十四条: 备案有效期内已办理入院手续的 … 均可正常直接结算",
        URUMQI,
        (_TEMP_BEIJING,),
        care("650100", "110000", admitted=date(2025, 9, 1), settled=date(2025, 9, 20)),
        Covered("23", "T1"),
    ),
    CoverCase(
        "admitted_after_the_end_is_e2001",
        "seed 003 第十四条: only admissions inside the validity",
        URUMQI,
        (_TEMP_BEIJING,),
        care("650100", "110000", admitted=date(2025, 9, 2), settled=date(2025, 9, 20)),
        E2001,
    ),
    CoverCase(
        "retro_filing_before_discharge_settlement_covers",
        "seed 000 (四) 出院结算前补办; seed 001 四(四); seed 003 第十五条",
        URUMQI,
        (filing("R1", "21", "110000", date(2025, 5, 10), date(2025, 11, 10)),),
        care("650100", "110000"),
        Covered("21", "R1"),
    ),
    CoverCase(
        "retro_filing_on_the_settlement_day_covers",
        "seed 003 第十五条: 出院结算前可按规定申请补办备案",
        TIANJIN,
        (filing("R1", "23", "110000", DISCHARGE, date(2025, 11, 12)),),
        care("120000", "110000"),
        Covered("23", "R1"),
    ),
    CoverCase(
        "filing_begun_after_the_settlement_does_not_cover",
        "seed 000 (四): 出院自费结算后补办 → manual reimbursement, not direct settlement",
        URUMQI,
        (filing("R1", "23", "110000", date(2025, 5, 13), date(2025, 11, 13)),),
        care("650100", "110000"),
        E2001,
    ),
    CoverCase(
        "cancelled_filing_does_not_cover",
        "design §6: only an active filing covers",
        URUMQI,
        (replace(_LT_BEIJING, status=CANCELLED),),
        care("650100", "110000"),
        E2001,
    ),
    CoverCase(
        "emergency_flag_without_filing_counts_as_filed",
        "seed 003 第三十四条: 未办理异地就医备案的,视同已备案",
        URUMQI,
        (),
        care("650100", "110000", emergency=True),
        Covered("22", None),
    ),
    CoverCase(
        "emergency_outpatient_13_without_filing_counts_as_filed",
        "seed 003 第三十四条; design §6 med_type 13",
        TIANJIN,
        (),
        care("120000", "650100", "13", ADMIT, ADMIT),
        Covered("22", None),
    ),
    CoverCase(
        "emergency_inpatient_24_without_filing_counts_as_filed",
        "seed 003 第三十四条; design §6 med_type 24",
        INNER_MONGOLIA,
        (),
        care("159900", "110000", "24"),
        Covered("22", None),
    ),
    CoverCase(
        "emergency_with_a_covering_filing_uses_the_filing",
        "design §6: the filing's category sets the ratio cut",
        URUMQI,
        (_LT_BEIJING,),
        care("650100", "110000", "24"),
        Covered("11", "L1"),
    ),
    CoverCase(
        "trauma_with_third_party_is_e2007_even_with_a_filing",
        "seed 003 第三十五条; seed 000 (四) 无第三方责任外伤 only",
        URUMQI,
        (_LT_BEIJING,),
        care("650100", "110000", trauma=True, third_party=True),
        E2007,
    ),
    CoverCase(
        "trauma_with_third_party_is_e2007_even_in_an_emergency",
        "seed 003 第三十五条",
        TIANJIN,
        (),
        care("120000", "110000", "24", trauma=True, third_party=True),
        E2007,
    ),
    CoverCase(
        "trauma_without_third_party_settles_under_the_filing",
        "seed 000 (四); seed 001 三(二): 无第三方责任外伤 纳入直接结算",
        URUMQI,
        (_LT_BEIJING,),
        care("650100", "110000", trauma=True),
        Covered("11", "L1"),
    ),
    CoverCase(
        "inner_mongolia_intra_region_inpatient_needs_no_filing",
        "seed 003 第十条: 自治区内异地就医 … 无需办理异地就医备案",
        INNER_MONGOLIA,
        (),
        care("159900", "150200"),
        Covered(None, None),
    ),
    CoverCase(
        "inner_mongolia_intra_region_emergency_needs_no_filing",
        "seed 003 第十条 (no filing inside the region) before 第三十四条 (emergency 视同已备案)",
        INNER_MONGOLIA,
        (),
        care("150200", "159900", "24"),
        Covered(None, None),
    ),
    CoverCase(
        "inner_mongolia_intra_region_emergency_flag_needs_no_filing",
        "seed 003 第十条 before 第三十四条: 视同已备案 supplies a filing only where one is needed",
        INNER_MONGOLIA,
        (),
        care("150200", "159900", emergency=True),
        Covered(None, None),
    ),
    CoverCase(
        "inner_mongolia_cross_province_emergency_outpatient_needs_no_filing",
        "seed 003 第十条 (跨省门诊就医) before 第三十四条",
        INNER_MONGOLIA,
        (),
        care("150200", "110000", "13", ADMIT, ADMIT, emergency=True),
        Covered(None, None),
    ),
    CoverCase(
        "inner_mongolia_intra_region_with_a_temporary_filing_still_needs_none",
        "seed 003 第十条: no filing inside the region, so a held one sets no cut (第十七条 cuts "
        "跨省 travellers only)",
        INNER_MONGOLIA,
        (filing("M2", "23", "150781", MAR_1, date(2025, 9, 1)),),
        care("150200", "150781"),
        Covered(None, None),
    ),
    CoverCase(
        "inner_mongolia_intra_region_emergency_with_a_temporary_filing_needs_none",
        "seed 003 第十条; an emergency is the same care",
        INNER_MONGOLIA,
        (filing("M2", "23", "150781", MAR_1, date(2025, 9, 1)),),
        care("150200", "150781", "24", emergency=True),
        Covered(None, None),
    ),
    CoverCase(
        "inner_mongolia_cross_province_emergency_with_a_filing_uses_the_filing",
        "seed 003 第十一条: a filing is needed and held; the breakdown pays it as an emergency",
        INNER_MONGOLIA,
        (filing("M1", "23", "110000", MAR_1, date(2025, 9, 1)),),
        care("150200", "110000", "24"),
        Covered("23", "M1"),
    ),
    CoverCase(
        "inner_mongolia_cross_province_outpatient_needs_no_filing",
        "seed 003 第十条: 跨省门诊就医 … 无需办理异地就医备案",
        INNER_MONGOLIA,
        (),
        care("159900", "110000", "11", ADMIT, ADMIT),
        Covered(None, None),
    ),
    CoverCase(
        "inner_mongolia_cross_province_pharmacy_needs_no_filing",
        "seed 003 第十条: 跨省药店购药 … 无需办理异地就医备案",
        INNER_MONGOLIA,
        (),
        care("150781", "220100", "41", ADMIT, ADMIT),
        Covered(None, None),
    ),
    CoverCase(
        "inner_mongolia_cross_province_inpatient_without_filing_is_e2001",
        "seed 003 第十一条: 跨省异地住院就医需要办理异地就医备案",
        INNER_MONGOLIA,
        (),
        care("159900", "110000"),
        E2001,
    ),
    CoverCase(
        "inner_mongolia_cross_province_inpatient_with_filing_covered",
        "seed 003 第十一条, 第十四条",
        INNER_MONGOLIA,
        (filing("M1", "23", "110000", MAR_1, date(2025, 9, 1)),),
        care("150200", "110000"),
        Covered("23", "M1"),
    ),
    CoverCase(
        "tianjin_outpatient_in_beijing_needs_no_filing",
        "seed 001 四(四): 京津冀异地就医普通门诊直接结算“免备案”试点",
        TIANJIN,
        (),
        care("120000", "110000", "11", ADMIT, ADMIT),
        Covered(None, None),
    ),
    CoverCase(
        "tianjin_outpatient_in_hebei_needs_no_filing",
        "seed 001 四(四): 前往北京市、河北省 … 普通门诊医疗费用可直接结算",
        TIANJIN,
        (),
        care("120000", "130100", "11", ADMIT, ADMIT),
        Covered(None, None),
    ),
    CoverCase(
        "tianjin_emergency_outpatient_in_beijing_needs_no_filing",
        "seed 001 四(四) pilot (普通门诊), judged on the care: 13 急诊 is the emergency form of 11",
        TIANJIN,
        (),
        care("120000", "110000", "13", ADMIT, ADMIT),
        Covered(None, None),
    ),
    CoverCase(
        "tianjin_chronic_in_beijing_without_filing_is_e2001",
        "seed 001 四(四): the pilot covers 普通门诊 only",
        TIANJIN,
        (),
        care("120000", "110000", "14", ADMIT, ADMIT),
        E2001,
    ),
    CoverCase(
        "tianjin_inpatient_in_beijing_without_filing_is_e2001",
        "seed 001 四(四): the pilot covers 普通门诊 only",
        TIANJIN,
        (),
        care("120000", "110000"),
        E2001,
    ),
    CoverCase(
        "tianjin_outpatient_in_urumqi_without_filing_is_e2001",
        "seed 001 四(四): the pilot covers 北京 and 河北 only",
        TIANJIN,
        (),
        care("120000", "650100", "11", ADMIT, ADMIT),
        E2001,
    ),
    CoverCase(
        "urumqi_outpatient_without_filing_is_e2001",
        "seed 000 一(二): 办理异地就医备案后可以享受异地就医直接结算服务",
        URUMQI,
        (),
        care("650100", "110000", "11", ADMIT, ADMIT),
        E2001,
    ),
    CoverCase(
        "long_term_filing_preferred_over_temporary",
        "seed 000 (五): a long-term resident keeps the home standard (no temporary cut)",
        TIANJIN,
        (_TEMP_SHIJIAZHUANG, _LT_HEBEI),
        care("120000", "130100"),
        Covered("12", "L2"),
    ),
    CoverCase(
        "care_at_home_needs_no_filing_even_for_a_resident_filed_elsewhere",
        "seed 000 一(五): 双向享受待遇 — back home, the home standard, no filing",
        URUMQI,
        (_LT_BEIJING,),
        care("650100", "650100", "11", ADMIT, ADMIT),
        Covered(None, None),
    ),
    CoverCase(
        "temporary_used_when_the_long_term_does_not_cover",
        "design §6: the filing that covers the treating region",
        TIANJIN,
        (_LT_HEBEI, _TEMP_BEIJING),
        care("120000", "110000"),
        Covered("23", "T1"),
    ),
]


@pytest.mark.parametrize("case", params(COVER_CASES), ids=lambda c: c.name)
def test_coverage(case: CoverCase) -> None:
    if isinstance(case.expect, ErrorSpec):
        with pytest.raises(RelayError) as info:
            coverage(case.rules, case.filings, case.care)
        assert info.value.code == case.expect.code
    else:
        got = coverage(case.rules, case.filings, case.care)
        assert isinstance(got, Coverage)
        assert Covered(got.category, got.filing_id) == case.expect
        assert got.reason


# --- add_months -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonthsCase:
    name: str
    rule: str
    day: date
    months: int
    expect: date


MONTHS_CASES = [
    MonthsCase(
        "jan_31_plus_1_is_feb_28",
        "end-of-month clamping",
        date(2025, 1, 31),
        1,
        date(2025, 2, 28),
    ),
    MonthsCase(
        "jan_31_plus_1_in_a_leap_year_is_feb_29",
        "end-of-month clamping",
        date(2024, 1, 31),
        1,
        date(2024, 2, 29),
    ),
    MonthsCase(
        "aug_31_plus_6_is_feb_28",
        "seed 000 (三)2 半年有效 from a month end",
        date(2025, 8, 31),
        6,
        date(2026, 2, 28),
    ),
    MonthsCase(
        "mar_31_plus_3_is_jun_30",
        "seed 003 第十二条(一) 3-month minimum from a month end",
        date(2025, 3, 31),
        3,
        date(2025, 6, 30),
    ),
    MonthsCase(
        "nov_15_plus_3_crosses_the_year",
        "year rollover",
        date(2025, 11, 15),
        3,
        date(2026, 2, 15),
    ),
    MonthsCase(
        "feb_29_plus_12_is_feb_28",
        "seed 001 四(二) 12-month maximum from a leap day",
        date(2024, 2, 29),
        12,
        date(2025, 2, 28),
    ),
    MonthsCase(
        "dec_1_plus_0_is_unchanged",
        "zero months (a region without a lock)",
        date(2025, 12, 1),
        0,
        date(2025, 12, 1),
    ),
]


@pytest.mark.parametrize("case", MONTHS_CASES, ids=lambda c: c.name)
def test_add_months(case: MonthsCase) -> None:
    assert add_months(case.day, case.months) == case.expect
