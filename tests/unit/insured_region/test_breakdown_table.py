"""Named table for the payment breakdown (design §6–§7, house style §5 items 2, 4, 20).

Every expected amount below was worked out by hand from design §7 and the fixed policy in this
file, never by running the calculator; the comment above each case shows the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.insured_region.adapters.policy_loader import parse_policy
from services.insured_region.domain.breakdown import (
    Accumulators,
    FeeTotals,
    NotSettleable,
    SettlementInputs,
    breakdown_violations,
    compute_breakdown,
)
from services.insured_region.domain.policy import RegionPolicy

# Fixed copy of policies/650100_urumqi.toml (simplified: two chronic diseases), so that the table
# does not move when the shipped data files change.
SEED_POLICY_TOML = """
admdvs = "650100"
name = "乌鲁木齐市 (test copy)"

[inpatient]
later_stay_deductible_factor = 0.5

[inpatient.deductible]
source = "lead C (policy-leads.md 乌鲁木齐)"
employee_active = [300, 600, 900]
employee_retired = [300, 600, 900]
resident = [200, 500, 800]

[inpatient.ratio]
source = "lead C (policy-leads.md 乌鲁木齐)"
employee_active = [0.95, 0.90, 0.85]
employee_retired = [0.95, 0.95, 0.90]
resident = [0.90, 0.80, 0.65]

[inpatient.annual_cap]
source = "illustrative"
employee_active = 150000
employee_retired = 150000
resident = 120000

[outpatient.deductible]
source = "illustrative"
employee_active = [1000, 1000, 1000]
employee_retired = [800, 800, 800]
resident = [200, 200, 200]

[outpatient.ratio]
source = "illustrative"
employee_active = [0.70, 0.60, 0.50]
employee_retired = [0.80, 0.70, 0.60]
resident = [0.60, 0.50, 0.50]

[outpatient.annual_cap]
source = "illustrative"
employee_active = 5000
employee_retired = 6000
resident = 1500

[reduction_pp]
source = "seed 000 §(六)"
21 = 0
22 = 0
23 = 15

[large_amount]
source = "illustrative"
ratio = 0.90
annual_cap = 400000

[critical_illness]
source = "illustrative"
threshold = 15000
annual_cap = 400000
segments = [{ upto = 100000, ratio = 0.60 }, { ratio = 0.70 }]

[civil_servant]
source = "illustrative"
ratio = 0.50

[assistance.2301]
source = "illustrative"
name = "特困人员"
ratio = 1.00
annual_cap = 50000

[assistance.2302]
source = "illustrative"
name = "低保对象"
ratio = 0.70
annual_cap = 30000

[chronic.M03900]
source = "illustrative"
name = "高血压"
employee_active = 0.80
employee_retired = 0.85
resident = 0.60
annual_cap = 3000

[chronic.M01600]
source = "illustrative"
name = "糖尿病"
employee_active = 0.80
employee_retired = 0.85
resident = 0.60
annual_cap = 4000

[filing]
source = "seed 000 (三)"
long_term_min_months = 0
long_term_lock_months = 6
temporary_min_months = 6
temporary_max_months = 6
temporary_default_months = 6
"""

SEED_CUTS = "21 = 0\n22 = 0\n23 = 15\n"
MAX_CUTS = "21 = 5\n22 = 10\n23 = 20\n"
assert SEED_CUTS in SEED_POLICY_TOML
# The seed cuts referral and emergency by 0 pp, so categories 21/22 (and emergency counted as 22)
# cannot be told apart from "no filing"; this variant uses the 22号文 maxima to make them visible.
MAX_CUTS_POLICY_TOML = SEED_POLICY_TOML.replace(SEED_CUTS, MAX_CUTS)

SEED: RegionPolicy = parse_policy(SEED_POLICY_TOML, "seed test policy")
CUTS: RegionPolicy = parse_policy(MAX_CUTS_POLICY_TOML, "max-cuts test policy")

YEAR = 2025
SETTLED_ON = date(2025, 6, 30)
FRESH = Accumulators(year=YEAR)

BASIC_EMPLOYEE = "310100"
BASIC_RESIDENT = "390100"
LARGE_AMOUNT = "330100"
CRITICAL_ILLNESS = "390200"
CIVIL_SERVANT = "320100"
ASSISTANCE = "610100"


def inputs(
    inscp: str,
    *,
    fulamt: str = "0.00",
    overlmt: str = "0.00",
    preselfpay: str = "0.00",
    med_type: str = "21",
    level: int = 3,
    insutype: str = "310",
    psn_type: str = "11",
    civil_servant: bool = False,
    assistance: str | None = None,
    filing: str | None = None,
    settled_on: date = SETTLED_ON,
    acct_used: bool = False,
    acct_balance: str = "0.00",
    chronic_code: str | None = None,
    emergency: bool = False,
) -> SettlementInputs:
    """Defaults: active employee, ordinary inpatient stay, level 3, no filing, no account."""
    return SettlementInputs(
        totals=FeeTotals(Decimal(fulamt), Decimal(overlmt), Decimal(preselfpay), Decimal(inscp)),
        med_type=med_type,
        hospital_level=level,
        insutype=insutype,
        psn_type=psn_type,
        civil_servant=civil_servant,
        assistance=assistance,
        filing_category=filing,
        settled_on=settled_on,
        acct_used=acct_used,
        acct_balance=Decimal(acct_balance),
        chronic_code=chronic_code,
        emergency=emergency,
    )


def resident(inscp: str, **kw: Any) -> SettlementInputs:
    return inputs(inscp, insutype="390", psn_type="15", **kw)


def retired(inscp: str, **kw: Any) -> SettlementInputs:
    return inputs(inscp, psn_type="12", **kw)


@dataclass(frozen=True, slots=True)
class Expect:
    act_pay_dedc: Decimal
    hifp_pay: Decimal
    pool_prop_selfpay: Decimal
    fund_pay_sumamt: Decimal
    psn_part_amt: Decimal
    psn_cash_pay: Decimal
    funds: frozenset[str]
    """The fund_pay_type codes of setldetail (one row per fund that paid)."""
    hifob_pay: Decimal = Decimal("0.00")
    hifmi_pay: Decimal = Decimal("0.00")
    cvlserv_pay: Decimal = Decimal("0.00")
    maf_pay: Decimal = Decimal("0.00")
    acct_pay: Decimal = Decimal("0.00")
    balc: Decimal = Decimal("0.00")
    limits: Mapping[str, Decimal] = field(default_factory=dict)
    """crt_payb_lmt_amt by fund, for the cases about a cap."""


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    rule: str
    inputs: SettlementInputs
    year: Accumulators
    expect: Expect
    delta: Accumulators | None = None
    policy: RegionPolicy = SEED


def funds(*codes: str) -> frozenset[str]:
    return frozenset(codes)


CASES: list[Any] = [
    # ── hospital level × person class (design §7 steps 1–3; first stay, no filing) ──────────
    # act_pay_dedc = min(10000, 300) = 300; (10000 − 300) × 0.95 = 9215.00;
    # medfee = 200 + 300 + 10000 = 10500; psn = 10500 − 9215 = 1285.00
    Case(
        "inpatient_level1_employee_active",
        "design §7 steps 1–3; lead C: level 1 deductible 300, employee 95 %",
        inputs("10000.00", fulamt="200.00", preselfpay="300.00", level=1),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("300.00"),
            hifp_pay=Decimal("9215.00"),
            pool_prop_selfpay=Decimal("0.95"),
            fund_pay_sumamt=Decimal("9215.00"),
            psn_part_amt=Decimal("1285.00"),
            psn_cash_pay=Decimal("1285.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("9215.00"), inpatient_stays=1),
    ),
    # (10000 − 600) × 0.90 = 8460.00; psn = 10000 − 8460 = 1540.00
    Case(
        "inpatient_level2_employee_active",
        "design §7 steps 1–3; lead C: level 2 deductible 600, employee 90 %",
        inputs("10000.00", level=2),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("600.00"),
            hifp_pay=Decimal("8460.00"),
            pool_prop_selfpay=Decimal("0.90"),
            fund_pay_sumamt=Decimal("8460.00"),
            psn_part_amt=Decimal("1540.00"),
            psn_cash_pay=Decimal("1540.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # (10000 − 900) × 0.85 = 7735.00; psn = 10000 − 7735 = 2265.00
    Case(
        "inpatient_level3_employee_active_no_filing",
        "design §7 steps 1–3; lead C: level 3 deductible 900, employee 85 %; no filing: no cut",
        inputs("10000.00", level=3),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("7735.00"), inpatient_stays=1),
    ),
    # (10000 − 600) × 0.95 = 8930.00; psn = 10000 − 8930 = 1070.00
    Case(
        "inpatient_level2_employee_retired",
        "design §7 step 2; lead C: 退休 +5 pp → level 2 95 %",
        retired("10000.00", level=2),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("600.00"),
            hifp_pay=Decimal("8930.00"),
            pool_prop_selfpay=Decimal("0.95"),
            fund_pay_sumamt=Decimal("8930.00"),
            psn_part_amt=Decimal("1070.00"),
            psn_cash_pay=Decimal("1070.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # (10000 − 900) × 0.90 = 8190.00; psn = 10000 − 8190 = 1810.00
    Case(
        "inpatient_level3_employee_retired",
        "design §7 step 2; lead C: 退休 +5 pp → level 3 90 %",
        retired("10000.00", level=3),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("8190.00"),
            pool_prop_selfpay=Decimal("0.90"),
            fund_pay_sumamt=Decimal("8190.00"),
            psn_part_amt=Decimal("1810.00"),
            psn_cash_pay=Decimal("1810.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # (10000 − 200) × 0.90 = 8820.00; burden = 10000 − 8820 = 1180.00 (< 15000: no 390200)
    Case(
        "inpatient_level1_resident",
        "design §7 steps 1–4; lead C: resident level 1 90 %, burden below threshold",
        resident("10000.00", level=1),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("200.00"),
            hifp_pay=Decimal("8820.00"),
            pool_prop_selfpay=Decimal("0.90"),
            fund_pay_sumamt=Decimal("8820.00"),
            psn_part_amt=Decimal("1180.00"),
            psn_cash_pay=Decimal("1180.00"),
            funds=funds(BASIC_RESIDENT),
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("8820.00"),
            inpatient_stays=1,
            burden=Decimal("1180.00"),
        ),
    ),
    # (10000 − 500) × 0.80 = 7600.00; psn = burden = 2400.00
    Case(
        "inpatient_level2_resident",
        "design §7 steps 1–3; lead C: resident level 2 80 %",
        resident("10000.00", level=2),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("500.00"),
            hifp_pay=Decimal("7600.00"),
            pool_prop_selfpay=Decimal("0.80"),
            fund_pay_sumamt=Decimal("7600.00"),
            psn_part_amt=Decimal("2400.00"),
            psn_cash_pay=Decimal("2400.00"),
            funds=funds(BASIC_RESIDENT),
        ),
    ),
    # (10000 − 800) × 0.65 = 5980.00; psn = burden = 4020.00
    Case(
        "inpatient_level3_resident",
        "design §7 steps 1–3; lead C: resident level 3 65 %",
        resident("10000.00", level=3),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("800.00"),
            hifp_pay=Decimal("5980.00"),
            pool_prop_selfpay=Decimal("0.65"),
            fund_pay_sumamt=Decimal("5980.00"),
            psn_part_amt=Decimal("4020.00"),
            psn_cash_pay=Decimal("4020.00"),
            funds=funds(BASIC_RESIDENT),
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("5980.00"),
            inpatient_stays=1,
            burden=Decimal("4020.00"),
        ),
    ),
    # ── deductible (design §7 step 1) ─────────────────────────────────────────────────────
    # act_pay_dedc = min(500, 900) = 500; eligible 0 → hifp 0; psn = 100 + 500 = 600.00
    Case(
        "deductible_larger_than_s",
        "design §7 step 1: act_pay_dedc = min(S, deductible_left)",
        inputs("500.00", fulamt="100.00", level=3),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("500.00"),
            hifp_pay=Decimal("0.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("0.00"),
            psn_part_amt=Decimal("600.00"),
            psn_cash_pay=Decimal("600.00"),
            funds=funds(),
        ),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("0.00"), inpatient_stays=1),
    ),
    # 2nd stay: 900 × 0.5 = 450; (10000 − 450) × 0.85 = 8117.50; psn = 1882.50
    Case(
        "second_stay_halved_deductible",
        "design §7 step 1 (per stay); lead C: deductible halved from the 2nd stay",
        inputs("10000.00", level=3),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("7735.00"), inpatient_stays=1),
        Expect(
            act_pay_dedc=Decimal("450.00"),
            hifp_pay=Decimal("8117.50"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("8117.50"),
            psn_part_amt=Decimal("1882.50"),
            psn_cash_pay=Decimal("1882.50"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("8117.50"), inpatient_stays=1),
    ),
    # 3rd stay: 500 × 0.5 = 250; (2000 − 250) × 0.80 = 1400.00; burden = psn = 600.00
    Case(
        "third_stay_resident_halved_deductible",
        "design §7 step 1; lead C: halved for every later stay, residents too",
        resident("2000.00", level=2),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("9000.00"), inpatient_stays=2),
        Expect(
            act_pay_dedc=Decimal("250.00"),
            hifp_pay=Decimal("1400.00"),
            pool_prop_selfpay=Decimal("0.80"),
            fund_pay_sumamt=Decimal("1400.00"),
            psn_part_amt=Decimal("600.00"),
            psn_cash_pay=Decimal("600.00"),
            funds=funds(BASIC_RESIDENT),
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("1400.00"),
            inpatient_stays=1,
            burden=Decimal("600.00"),
        ),
    ),
    # outpatient deductible 1000/yr, 600 used → 400 left; (1000 − 400) × 0.70 = 420.00; psn 580.00
    Case(
        "outpatient_annual_deductible_partly_used",
        "design §7 step 1: outpatient pooling deductible per year",
        inputs("1000.00", med_type="11", level=1),
        Accumulators(year=YEAR, outpatient_deductible=Decimal("600.00")),
        Expect(
            act_pay_dedc=Decimal("400.00"),
            hifp_pay=Decimal("420.00"),
            pool_prop_selfpay=Decimal("0.70"),
            fund_pay_sumamt=Decimal("420.00"),
            psn_part_amt=Decimal("580.00"),
            psn_cash_pay=Decimal("580.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        Accumulators(
            year=YEAR,
            outpatient_hifp=Decimal("420.00"),
            outpatient_deductible=Decimal("400.00"),
        ),
    ),
    # 1000 of 1000 used → 0 left; 300 × 0.60 = 180.00; psn 120.00
    Case(
        "outpatient_annual_deductible_used_up",
        "design §7 step 1: nothing left of the year's outpatient deductible",
        inputs("300.00", med_type="11", level=2),
        Accumulators(year=YEAR, outpatient_deductible=Decimal("1000.00")),
        Expect(
            act_pay_dedc=Decimal("0.00"),
            hifp_pay=Decimal("180.00"),
            pool_prop_selfpay=Decimal("0.60"),
            fund_pay_sumamt=Decimal("180.00"),
            psn_part_amt=Decimal("120.00"),
            psn_cash_pay=Decimal("120.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        Accumulators(
            year=YEAR,
            outpatient_hifp=Decimal("180.00"),
            outpatient_deductible=Decimal("0.00"),
        ),
    ),
    # resident outpatient deductible 200 > S = 150 → act 150, hifp 0; burden = psn = 150.00
    Case(
        "outpatient_deductible_larger_than_s_resident",
        "design §7 step 1 (outpatient) and step 4: the deductible counts in the resident burden",
        resident("150.00", med_type="11", level=1),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("150.00"),
            hifp_pay=Decimal("0.00"),
            pool_prop_selfpay=Decimal("0.60"),
            fund_pay_sumamt=Decimal("0.00"),
            psn_part_amt=Decimal("150.00"),
            psn_cash_pay=Decimal("150.00"),
            funds=funds(),
        ),
        Accumulators(
            year=YEAR,
            outpatient_hifp=Decimal("0.00"),
            outpatient_deductible=Decimal("150.00"),
            burden=Decimal("150.00"),
        ),
    ),
    # retired outpatient: deductible 800, level 3 60 %: (2000 − 800) × 0.60 = 720.00; psn 1280.00
    Case(
        "outpatient_retired_level3",
        "design §7: outpatient 11 uses the outpatient pool (deductible, ratio by level)",
        retired("2000.00", med_type="11", level=3),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("800.00"),
            hifp_pay=Decimal("720.00"),
            pool_prop_selfpay=Decimal("0.60"),
            fund_pay_sumamt=Decimal("720.00"),
            psn_part_amt=Decimal("1280.00"),
            psn_cash_pay=Decimal("1280.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # ── filing categories, seed policy (design §7 step 2; seed 000 §(五)/(六)) ─────────────
    # long-term: 0 pp → (10000 − 900) × 0.85 = 7735.00; psn 2265.00
    Case(
        "filing_11_resettled_retiree_home_standard",
        "seed 000 §(五): long-term filers get the home standard (0 pp)",
        inputs("10000.00", filing="11"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # 0 pp → 9100 × 0.85 = 7735.00
    Case(
        "filing_12_long_term_resident_home_standard",
        "seed 000 §(五): long-term filers get the home standard (0 pp)",
        inputs("10000.00", filing="12"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # 0 pp → 9100 × 0.85 = 7735.00
    Case(
        "filing_13_posted_worker_home_standard",
        "seed 000 §(五): long-term filers get the home standard (0 pp)",
        inputs("10000.00", filing="13"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # referral 0 pp → 9100 × 0.85 = 7735.00
    Case(
        "filing_21_referral_seed_home_level",
        "seed 000 §(六): referral at the home level of the same hospital level (0 pp)",
        inputs("10000.00", filing="21"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # emergency 0 pp → 9100 × 0.85 = 7735.00
    Case(
        "filing_22_emergency_seed_home_level",
        "seed 000 §(六): emergency at the home level of the same hospital level (0 pp)",
        inputs("10000.00", filing="22"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # 0.85 − 15/100 = 0.70; (10000 − 900) × 0.70 = 6370.00; psn 3630.00
    Case(
        "filing_23_other_temporary_minus_15pp",
        "seed 000 §(六): other temporary −15 pp",
        inputs("10000.00", filing="23"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("6370.00"),
            pool_prop_selfpay=Decimal("0.70"),
            fund_pay_sumamt=Decimal("6370.00"),
            psn_part_amt=Decimal("3630.00"),
            psn_cash_pay=Decimal("3630.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # ── filing categories at the 22号文 maxima (design §7 step 2) ─────────────────────────
    # 0.85 − 0.05 = 0.80; 9100 × 0.80 = 7280.00; psn 2720.00
    Case(
        "max_cuts_filing_21_referral_minus_5pp",
        "design §7 step 2: ratio − reduction_pp[21]/100 (referral ≤ 10 pp)",
        inputs("10000.00", filing="21"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7280.00"),
            pool_prop_selfpay=Decimal("0.80"),
            fund_pay_sumamt=Decimal("7280.00"),
            psn_part_amt=Decimal("2720.00"),
            psn_cash_pay=Decimal("2720.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        policy=CUTS,
    ),
    # 0.85 − 0.10 = 0.75; 9100 × 0.75 = 6825.00; psn 3175.00
    Case(
        "max_cuts_filing_22_emergency_minus_10pp",
        "design §7 step 2: emergency cut at the 22号文 maximum of 10 pp",
        inputs("10000.00", filing="22"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("6825.00"),
            pool_prop_selfpay=Decimal("0.75"),
            fund_pay_sumamt=Decimal("6825.00"),
            psn_part_amt=Decimal("3175.00"),
            psn_cash_pay=Decimal("3175.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        policy=CUTS,
    ),
    # 0.85 − 0.20 = 0.65; 9100 × 0.65 = 5915.00; psn 4085.00
    Case(
        "max_cuts_filing_23_other_temporary_minus_20pp",
        "design §7 step 2: other temporary cut at the 22号文 maximum of 20 pp",
        inputs("10000.00", filing="23"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("5915.00"),
            pool_prop_selfpay=Decimal("0.65"),
            fund_pay_sumamt=Decimal("5915.00"),
            psn_part_amt=Decimal("4085.00"),
            psn_cash_pay=Decimal("4085.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        policy=CUTS,
    ),
    # long-term is never cut (22号文: 0): 9100 × 0.85 = 7735.00
    Case(
        "max_cuts_filing_11_long_term_never_cut",
        "design §7 step 2: long-term 0 pp even where temporary filers are cut",
        inputs("10000.00", filing="11"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        policy=CUTS,
    ),
    # ── an emergency without a filing, where one is needed, counts as 22 (视同已备案) ──────
    # Coverage supplies the 22 (test_filing); the breakdown cuts it. filing None means the care
    # needs no filing, and then an emergency is not cut (the cases after these three).
    # med_type 24, counted as 22: 0.85 − 0.10 = 0.75; 9100 × 0.75 = 6825.00; psn 3175.00
    Case(
        "emergency_med_type_24_counted_as_22_is_cut_as_22",
        "design §6: an unfiled emergency (med_type 24) counts as filed, category 22",
        inputs("10000.00", med_type="24", filing="22"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("6825.00"),
            pool_prop_selfpay=Decimal("0.75"),
            fund_pay_sumamt=Decimal("6825.00"),
            psn_part_amt=Decimal("3175.00"),
            psn_cash_pay=Decimal("3175.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("6825.00"), inpatient_stays=1),
        policy=CUTS,
    ),
    # med_type 13 (outpatient pool), deductible used up: 0.70 − 0.10 = 0.60; 500 × 0.60 = 300.00
    Case(
        "emergency_med_type_13_outpatient_counted_as_22_is_cut_as_22",
        "design §6: an unfiled emergency (med_type 13) counts as filed, 22; outpatient pool",
        inputs("500.00", med_type="13", level=1, filing="22"),
        Accumulators(year=YEAR, outpatient_deductible=Decimal("1000.00")),
        Expect(
            act_pay_dedc=Decimal("0.00"),
            hifp_pay=Decimal("300.00"),
            pool_prop_selfpay=Decimal("0.60"),
            fund_pay_sumamt=Decimal("300.00"),
            psn_part_amt=Decimal("200.00"),
            psn_cash_pay=Decimal("200.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        Accumulators(
            year=YEAR,
            outpatient_hifp=Decimal("300.00"),
            outpatient_deductible=Decimal("0.00"),
        ),
        policy=CUTS,
    ),
    # emergency flag, med_type 21, level 2: 0.90 − 0.10 = 0.80; (10000 − 600) × 0.80 = 7520.00
    Case(
        "emergency_flag_counted_as_22_is_cut_as_22",
        "design §6: an unfiled emergency (flag) counts as filed, category 22",
        inputs("10000.00", level=2, emergency=True, filing="22"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("600.00"),
            hifp_pay=Decimal("7520.00"),
            pool_prop_selfpay=Decimal("0.80"),
            fund_pay_sumamt=Decimal("7520.00"),
            psn_part_amt=Decimal("2480.00"),
            psn_cash_pay=Decimal("2480.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        policy=CUTS,
    ),
    # care that needs no filing (filing None) is not cut, emergency or not, even where 22 is:
    # 0.85 × 9100 = 7735.00 (not 0.75 × 9100 = 6825.00)
    Case(
        "emergency_med_type_24_needing_no_filing_is_not_cut",
        "seed 003 第十条 before 第三十四条: 视同已备案 supplies a filing only where one is needed",
        inputs("10000.00", med_type="24"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        policy=CUTS,
    ),
    # the same with the flag, level 2: (10000 − 600) × 0.90 = 8460.00 (not × 0.80 = 7520.00)
    Case(
        "emergency_flag_needing_no_filing_is_not_cut",
        "seed 003 第十条 before 第三十四条: 视同已备案 supplies a filing only where one is needed",
        inputs("10000.00", level=2, emergency=True),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("600.00"),
            hifp_pay=Decimal("8460.00"),
            pool_prop_selfpay=Decimal("0.90"),
            fund_pay_sumamt=Decimal("8460.00"),
            psn_part_amt=Decimal("1540.00"),
            psn_cash_pay=Decimal("1540.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        policy=CUTS,
    ),
    # an emergency holding filing 23 (−20 pp here) is paid as an emergency (−10 pp), the smaller
    # cut: 0.85 − 0.10 = 0.75; 9100 × 0.75 = 6825.00 (not × 0.65 = 5915.00)
    Case(
        "max_cuts_emergency_with_filing_23_cut_as_22",
        "seed 000 一(六): only 非急诊 other travellers take the larger cut",
        inputs("10000.00", filing="23", emergency=True),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("6825.00"),
            pool_prop_selfpay=Decimal("0.75"),
            fund_pay_sumamt=Decimal("6825.00"),
            psn_part_amt=Decimal("3175.00"),
            psn_cash_pay=Decimal("3175.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        policy=CUTS,
    ),
    # an emergency holding a long-term filing keeps it: never cut (22号文), better than 22's −10
    Case(
        "max_cuts_emergency_with_long_term_filing_keeps_it",
        "design §7 step 2: a held filing with a smaller cut than 22 still applies",
        inputs("10000.00", med_type="24", filing="12"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        policy=CUTS,
    ),
    # seed: emergency 0 pp → 9100 × 0.85 = 7735.00
    Case(
        "emergency_med_type_24_seed_home_level",
        "seed 000 §(六): emergency paid at the home level; design §6 counts it as filed",
        inputs("10000.00", med_type="24", filing="22"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # a traveller (filing 23) treated as an emergency: seed §(六) cuts only 非急诊 others, so the
    # emergency rate (0 pp) applies: 9100 × 0.85 = 7735.00 (not 9100 × 0.70 = 6370.00)
    Case(
        "emergency_flag_with_filing_23_not_cut",
        "seed 000 §(六): 非急诊且未办理转诊的其他…降低15个百分点 — emergencies are not cut",
        inputs("10000.00", filing="23", emergency=True),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # ── annual basic cap, large-amount top-up (design §7 steps 3–4) ───────────────────────
    # 4th stay: deductible 900 × 0.5 = 450; eligible 9550; cap left 150000 − 145500 = 4500;
    # 9550 × 0.90 = 8595 > 4500 → hifp 4500.00; over_cap = 9550 − 4500 / 0.90 = 9550 − 5000
    # = 4550.00; hifob = 4550 × 0.90 = 4095.00; fund 8595.00; psn 10000 − 8595 = 1405.00
    Case(
        "basic_cap_partly_used_large_amount_tops_up",
        "design §7 steps 3–4: cap cuts hifp; over_cap = eligible − hifp/ratio → 330100",
        retired("10000.00", level=3),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("145500.00"), inpatient_stays=3),
        Expect(
            act_pay_dedc=Decimal("450.00"),
            hifp_pay=Decimal("4500.00"),
            pool_prop_selfpay=Decimal("0.90"),
            hifob_pay=Decimal("4095.00"),
            fund_pay_sumamt=Decimal("8595.00"),
            psn_part_amt=Decimal("1405.00"),
            psn_cash_pay=Decimal("1405.00"),
            funds=funds(BASIC_EMPLOYEE, LARGE_AMOUNT),
            limits={BASIC_EMPLOYEE: Decimal("4500.00"), LARGE_AMOUNT: Decimal("400000.00")},
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("4500.00"),
            inpatient_stays=1,
            hifob=Decimal("4095.00"),
        ),
    ),
    # cap left 150000 − 145000 = 5000; 9100 × 0.85 = 7735 > 5000 → hifp 5000.00;
    # over_cap = 9100 − 5000 / 0.85 = 9100 − 5882.3529… = 3217.647… → 3217.65 (rounded step);
    # hifob = 3217.65 × 0.90 = 2895.885 → 2895.89 (half up); fund 7895.89; psn 2104.11
    Case(
        "basic_cap_cut_over_cap_rounded_before_large_amount",
        "design §7 step 4, every step rounded half up: over_cap to the cent, then × 0.90",
        inputs("10000.00", level=3),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("145000.00")),
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("5000.00"),
            pool_prop_selfpay=Decimal("0.85"),
            hifob_pay=Decimal("2895.89"),
            fund_pay_sumamt=Decimal("7895.89"),
            psn_part_amt=Decimal("2104.11"),
            psn_cash_pay=Decimal("2104.11"),
            funds=funds(BASIC_EMPLOYEE, LARGE_AMOUNT),
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("5000.00"),
            inpatient_stays=1,
            hifob=Decimal("2895.89"),
        ),
    ),
    # cap left 0 → hifp 0; over_cap = 9400 − 0 = 9400; hifob = 9400 × 0.90 = 8460.00; psn 1540
    Case(
        "basic_cap_exhausted_large_amount_pays",
        "design §7 steps 3–4: cap_left = max(0, cap − paid) = 0; all eligible is over_cap",
        inputs("10000.00", level=2),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("150000.00")),
        Expect(
            act_pay_dedc=Decimal("600.00"),
            hifp_pay=Decimal("0.00"),
            pool_prop_selfpay=Decimal("0.90"),
            hifob_pay=Decimal("8460.00"),
            fund_pay_sumamt=Decimal("8460.00"),
            psn_part_amt=Decimal("1540.00"),
            psn_cash_pay=Decimal("1540.00"),
            funds=funds(LARGE_AMOUNT),
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("0.00"),
            inpatient_stays=1,
            hifob=Decimal("8460.00"),
        ),
    ),
    # hifob left 400000 − 399000 = 1000; min(9400 × 0.90 = 8460, 1000) = 1000.00; psn 9000.00
    Case(
        "large_amount_cap_nearly_exhausted",
        "design §7 step 4: hifob = min(over_cap × ratio, hifob_cap − hifob_paid)",
        inputs("10000.00", level=2),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("150000.00"), hifob=Decimal("399000.00")),
        Expect(
            act_pay_dedc=Decimal("600.00"),
            hifp_pay=Decimal("0.00"),
            pool_prop_selfpay=Decimal("0.90"),
            hifob_pay=Decimal("1000.00"),
            fund_pay_sumamt=Decimal("1000.00"),
            psn_part_amt=Decimal("9000.00"),
            psn_cash_pay=Decimal("9000.00"),
            funds=funds(LARGE_AMOUNT),
            limits={LARGE_AMOUNT: Decimal("1000.00")},
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("0.00"),
            inpatient_stays=1,
            hifob=Decimal("1000.00"),
        ),
    ),
    # both caps used up: nothing paid; psn = 10000.00
    Case(
        "large_amount_cap_exhausted",
        "design §7 step 4: hifob cap left 0 → no 330100 row",
        inputs("10000.00", level=2),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("150000.00"), hifob=Decimal("400000.00")),
        Expect(
            act_pay_dedc=Decimal("600.00"),
            hifp_pay=Decimal("0.00"),
            pool_prop_selfpay=Decimal("0.90"),
            fund_pay_sumamt=Decimal("0.00"),
            psn_part_amt=Decimal("10000.00"),
            psn_cash_pay=Decimal("10000.00"),
            funds=funds(),
        ),
    ),
    # ── resident critical illness (design §7 step 4) ──────────────────────────────────────
    # (20000 − 800) × 0.65 = 12480.00; burden 20000 − 12480 = 7520; year 12000 → 19520;
    # above 15000: 4520 × 0.60 = 2712.00; fund 15192.00; psn 4808.00
    Case(
        "resident_crosses_critical_illness_threshold",
        "design §7 step 4: only the part of this burden above the threshold, segment 1 60 %",
        resident("20000.00", level=3),
        Accumulators(year=YEAR, burden=Decimal("12000.00")),
        Expect(
            act_pay_dedc=Decimal("800.00"),
            hifp_pay=Decimal("12480.00"),
            pool_prop_selfpay=Decimal("0.65"),
            hifmi_pay=Decimal("2712.00"),
            fund_pay_sumamt=Decimal("15192.00"),
            psn_part_amt=Decimal("4808.00"),
            psn_cash_pay=Decimal("4808.00"),
            funds=funds(BASIC_RESIDENT, CRITICAL_ILLNESS),
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("12480.00"),
            inpatient_stays=1,
            hifmi=Decimal("2712.00"),
            burden=Decimal("7520.00"),
        ),
    ),
    # (10000 − 200) × 0.90 = 8820.00; burden 1180, all above (year 20000 > 15000):
    # 1180 × 0.60 = 708.00; fund 9528.00; psn 472.00
    Case(
        "resident_already_above_threshold",
        "design §7 step 4: the whole burden of this settlement is above the threshold",
        resident("10000.00", level=1),
        Accumulators(year=YEAR, burden=Decimal("20000.00"), hifmi=Decimal("3000.00")),
        Expect(
            act_pay_dedc=Decimal("200.00"),
            hifp_pay=Decimal("8820.00"),
            pool_prop_selfpay=Decimal("0.90"),
            hifmi_pay=Decimal("708.00"),
            fund_pay_sumamt=Decimal("9528.00"),
            psn_part_amt=Decimal("472.00"),
            psn_cash_pay=Decimal("472.00"),
            funds=funds(BASIC_RESIDENT, CRITICAL_ILLNESS),
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("8820.00"),
            inpatient_stays=1,
            hifmi=Decimal("708.00"),
            burden=Decimal("1180.00"),
        ),
    ),
    # (10000 − 500) × 0.80 = 7600.00; burden 2400; above threshold 99000 → 101400:
    # 1000 × 0.60 = 600 + 1400 × 0.70 = 980 → 1580.00; fund 9180.00; psn 820.00
    Case(
        "resident_crosses_segment_boundary",
        "design §7 step 4: segments measured above the threshold, 60 % to 100000 then 70 %",
        resident("10000.00", level=2),
        Accumulators(year=YEAR, burden=Decimal("114000.00"), hifmi=Decimal("59400.00")),
        Expect(
            act_pay_dedc=Decimal("500.00"),
            hifp_pay=Decimal("7600.00"),
            pool_prop_selfpay=Decimal("0.80"),
            hifmi_pay=Decimal("1580.00"),
            fund_pay_sumamt=Decimal("9180.00"),
            psn_part_amt=Decimal("820.00"),
            psn_cash_pay=Decimal("820.00"),
            funds=funds(BASIC_RESIDENT, CRITICAL_ILLNESS),
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("7600.00"),
            inpatient_stays=1,
            hifmi=Decimal("1580.00"),
            burden=Decimal("2400.00"),
        ),
    ),
    # hifmi left 400000 − 399500 = 500; min(2400 × 0.60 = 1440, 500) = 500.00;
    # fund 7600 + 500 = 8100.00; psn 1900.00
    Case(
        "resident_critical_illness_cap",
        "design §7 step 4: up to hifmi_cap − hifmi_paid_this_year",
        resident("10000.00", level=2),
        Accumulators(year=YEAR, burden=Decimal("50000.00"), hifmi=Decimal("399500.00")),
        Expect(
            act_pay_dedc=Decimal("500.00"),
            hifp_pay=Decimal("7600.00"),
            pool_prop_selfpay=Decimal("0.80"),
            hifmi_pay=Decimal("500.00"),
            fund_pay_sumamt=Decimal("8100.00"),
            psn_part_amt=Decimal("1900.00"),
            psn_cash_pay=Decimal("1900.00"),
            funds=funds(BASIC_RESIDENT, CRITICAL_ILLNESS),
            limits={CRITICAL_ILLNESS: Decimal("500.00")},
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("7600.00"),
            inpatient_stays=1,
            hifmi=Decimal("500.00"),
            burden=Decimal("2400.00"),
        ),
    ),
    # cap left 120000 − 118000 = 2000; 9800 × 0.90 = 8820 > 2000 → hifp 2000.00; no 330100
    # for residents; burden 10000 − 2000 = 8000; year 10000 → 18000: 3000 × 0.60 = 1800.00;
    # fund 3800.00; psn 6200.00
    Case(
        "resident_basic_cap_cut_burden_counts_unpaid",
        "design §7 step 4: residents get no large-amount; burden = S − hifp feeds 390200",
        resident("10000.00", level=1),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("118000.00"), burden=Decimal("10000.00")),
        Expect(
            act_pay_dedc=Decimal("200.00"),
            hifp_pay=Decimal("2000.00"),
            pool_prop_selfpay=Decimal("0.90"),
            hifmi_pay=Decimal("1800.00"),
            fund_pay_sumamt=Decimal("3800.00"),
            psn_part_amt=Decimal("6200.00"),
            psn_cash_pay=Decimal("6200.00"),
            funds=funds(BASIC_RESIDENT, CRITICAL_ILLNESS),
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("2000.00"),
            inpatient_stays=1,
            hifmi=Decimal("1800.00"),
            burden=Decimal("8000.00"),
        ),
    ),
    # ── civil servant (design §7 step 5) ──────────────────────────────────────────────────
    # hifp 7735; left = 10000 − 7735 = 2265; cvlserv = 2265 × 0.50 = 1132.50; fund 8867.50;
    # medfee 10500; psn = 10500 − 8867.50 = 1632.50
    Case(
        "civil_servant_half_of_what_is_left",
        "design §7 step 5: cvlserv = left × cvlserv_ratio (320100)",
        inputs("10000.00", fulamt="500.00", civil_servant=True),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            cvlserv_pay=Decimal("1132.50"),
            fund_pay_sumamt=Decimal("8867.50"),
            psn_part_amt=Decimal("1632.50"),
            psn_cash_pay=Decimal("1632.50"),
            funds=funds(BASIC_EMPLOYEE, CIVIL_SERVANT),
        ),
    ),
    # basic cap used up: hifob 9400 × 0.90 = 8460; left = 10000 − 0 − 8460 = 1540;
    # cvlserv = 770.00; fund 9230.00; psn 770.00
    Case(
        "civil_servant_after_large_amount",
        "design §7 step 5: left = S − hifp − hifob − hifmi",
        inputs("10000.00", level=2, civil_servant=True),
        Accumulators(year=YEAR, inpatient_hifp=Decimal("150000.00")),
        Expect(
            act_pay_dedc=Decimal("600.00"),
            hifp_pay=Decimal("0.00"),
            pool_prop_selfpay=Decimal("0.90"),
            hifob_pay=Decimal("8460.00"),
            cvlserv_pay=Decimal("770.00"),
            fund_pay_sumamt=Decimal("9230.00"),
            psn_part_amt=Decimal("770.00"),
            psn_cash_pay=Decimal("770.00"),
            funds=funds(LARGE_AMOUNT, CIVIL_SERVANT),
        ),
    ),
    # (10000.10 − 900) × 0.85 = 7735.085 → 7735.09; left 2265.01 × 0.50 = 1132.505 → 1132.51;
    # fund 8867.60; psn 10000.10 − 8867.60 = 1132.50
    Case(
        "civil_servant_rounding_half_up",
        "design §7: every step ROUND_HALF_UP (hifp and cvlserv both end in 5)",
        inputs("10000.10", civil_servant=True),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.09"),
            pool_prop_selfpay=Decimal("0.85"),
            cvlserv_pay=Decimal("1132.51"),
            fund_pay_sumamt=Decimal("8867.60"),
            psn_part_amt=Decimal("1132.50"),
            psn_cash_pay=Decimal("1132.50"),
            funds=funds(BASIC_EMPLOYEE, CIVIL_SERVANT),
        ),
    ),
    # ── medical assistance (design §7 step 5) ─────────────────────────────────────────────
    # hifp 9200 × 0.65 = 5980; burden 4020 (< 15000); left 4020 × 1.00 = 4020.00;
    # fund 10000.00; medfee 10300; psn 300.00 (the out-of-scope part)
    Case(
        "assistance_2301_pays_all_that_is_left",
        "design §7 step 5: maf = min(left × 1.00, cap − paid) for 2301 特困",
        resident("10000.00", fulamt="300.00", assistance="2301"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("800.00"),
            hifp_pay=Decimal("5980.00"),
            pool_prop_selfpay=Decimal("0.65"),
            maf_pay=Decimal("4020.00"),
            fund_pay_sumamt=Decimal("10000.00"),
            psn_part_amt=Decimal("300.00"),
            psn_cash_pay=Decimal("300.00"),
            funds=funds(BASIC_RESIDENT, ASSISTANCE),
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("5980.00"),
            inpatient_stays=1,
            burden=Decimal("4020.00"),
            maf=Decimal("4020.00"),
        ),
    ),
    # hifp 7600; left 2400 × 0.70 = 1680.00; fund 9280.00; psn 720.00
    Case(
        "assistance_2302_seventy_percent",
        "design §7 step 5: 2302 低保 pays 70 % of what is left",
        resident("10000.00", level=2, assistance="2302"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("500.00"),
            hifp_pay=Decimal("7600.00"),
            pool_prop_selfpay=Decimal("0.80"),
            maf_pay=Decimal("1680.00"),
            fund_pay_sumamt=Decimal("9280.00"),
            psn_part_amt=Decimal("720.00"),
            psn_cash_pay=Decimal("720.00"),
            funds=funds(BASIC_RESIDENT, ASSISTANCE),
        ),
    ),
    # maf left 30000 − 29500 = 500; min(1680, 500) = 500.00; fund 8100.00; psn 1900.00
    Case(
        "assistance_2302_annual_cap",
        "design §7 step 5: maf up to maf_cap − maf_paid_this_year",
        resident("10000.00", level=2, assistance="2302"),
        Accumulators(year=YEAR, maf=Decimal("29500.00")),
        Expect(
            act_pay_dedc=Decimal("500.00"),
            hifp_pay=Decimal("7600.00"),
            pool_prop_selfpay=Decimal("0.80"),
            maf_pay=Decimal("500.00"),
            fund_pay_sumamt=Decimal("8100.00"),
            psn_part_amt=Decimal("1900.00"),
            psn_cash_pay=Decimal("1900.00"),
            funds=funds(BASIC_RESIDENT, ASSISTANCE),
            limits={ASSISTANCE: Decimal("500.00")},
        ),
        Accumulators(
            year=YEAR,
            inpatient_hifp=Decimal("7600.00"),
            inpatient_stays=1,
            burden=Decimal("2400.00"),
            maf=Decimal("500.00"),
        ),
    ),
    # maf left 50000 − 50000 = 0 → no 610100 row; fund 7600.00; psn 2400.00
    Case(
        "assistance_2301_cap_exhausted",
        "design §7 step 5: nothing left of the assistance cap",
        resident("10000.00", level=2, assistance="2301"),
        Accumulators(year=YEAR, maf=Decimal("50000.00")),
        Expect(
            act_pay_dedc=Decimal("500.00"),
            hifp_pay=Decimal("7600.00"),
            pool_prop_selfpay=Decimal("0.80"),
            fund_pay_sumamt=Decimal("7600.00"),
            psn_part_amt=Decimal("2400.00"),
            psn_cash_pay=Decimal("2400.00"),
            funds=funds(BASIC_RESIDENT),
        ),
    ),
    # hifp 7735; left 2265; cvlserv 1132.50; left 1132.50 × 0.70 = 792.75;
    # fund 7735 + 1132.50 + 792.75 = 9660.25; psn 339.75
    Case(
        "civil_servant_then_assistance_on_what_is_left",
        "design §7 step 5: left −= cvlserv, then maf on the rest (not both on the same left)",
        inputs("10000.00", civil_servant=True, assistance="2302"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            cvlserv_pay=Decimal("1132.50"),
            maf_pay=Decimal("792.75"),
            fund_pay_sumamt=Decimal("9660.25"),
            psn_part_amt=Decimal("339.75"),
            psn_cash_pay=Decimal("339.75"),
            funds=funds(BASIC_EMPLOYEE, CIVIL_SERVANT, ASSISTANCE),
        ),
    ),
    # (10000.25 − 500) × 0.80 = 7600.20; left 2400.05 × 0.70 = 1680.035 → 1680.04 (half up);
    # fund 9280.24; psn 10000.25 − 9280.24 = 720.01
    Case(
        "assistance_rounding_half_up",
        "design §7: every step ROUND_HALF_UP (maf ends in 5)",
        resident("10000.25", level=2, assistance="2302"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("500.00"),
            hifp_pay=Decimal("7600.20"),
            pool_prop_selfpay=Decimal("0.80"),
            maf_pay=Decimal("1680.04"),
            fund_pay_sumamt=Decimal("9280.24"),
            psn_part_amt=Decimal("720.01"),
            psn_cash_pay=Decimal("720.01"),
            funds=funds(BASIC_RESIDENT, ASSISTANCE),
        ),
    ),
    # ── personal account (design §7 step 6) ───────────────────────────────────────────────
    # hifp 7735; psn = 10500 − 7735 = 2765.00; acct = min(5000, 2765) = 2765.00; balc 2235.00
    Case(
        "account_balance_larger_than_psn_part",
        "design §7 step 6: acct_pay = min(balance, psn_part_amt)",
        inputs("10000.00", fulamt="500.00", acct_used=True, acct_balance="5000.00"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2765.00"),
            acct_pay=Decimal("2765.00"),
            psn_cash_pay=Decimal("0.00"),
            balc=Decimal("2235.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # psn 2765.00; acct = min(1000, 2765) = 1000.00; cash 1765.00; balc 0.00
    Case(
        "account_balance_smaller_than_psn_part",
        "design §7 step 6: the account pays what it holds, cash the rest",
        inputs("10000.00", fulamt="500.00", acct_used=True, acct_balance="1000.00"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2765.00"),
            acct_pay=Decimal("1000.00"),
            psn_cash_pay=Decimal("1765.00"),
            balc=Decimal("0.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # acct_used_flag = 0: acct 0; cash 2765.00; balance untouched 1000.00
    Case(
        "account_not_used_keeps_balance",
        "design §7 step 6: only with acct_used_flag = 1",
        inputs("10000.00", fulamt="500.00", acct_used=False, acct_balance="1000.00"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2765.00"),
            psn_cash_pay=Decimal("2765.00"),
            balc=Decimal("1000.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # resident: (10000 − 800) × 0.65 = 5980; psn 4020.00, all cash; balc stays 800.00
    Case(
        "resident_acct_used_has_no_account",
        "design §7 step 6: the account is for employees only",
        resident("10000.00", acct_used=True, acct_balance="800.00"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("800.00"),
            hifp_pay=Decimal("5980.00"),
            pool_prop_selfpay=Decimal("0.65"),
            fund_pay_sumamt=Decimal("5980.00"),
            psn_part_amt=Decimal("4020.00"),
            psn_cash_pay=Decimal("4020.00"),
            balc=Decimal("800.00"),
            funds=funds(BASIC_RESIDENT),
        ),
    ),
    # balance 0: acct = min(0, 2765) = 0; cash 2765.00; balc 0.00
    Case(
        "account_zero_balance",
        "design §7 step 6: min(0, psn_part) = 0",
        inputs("10000.00", fulamt="500.00", acct_used=True, acct_balance="0.00"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2765.00"),
            psn_cash_pay=Decimal("2765.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # ── chronic 14 (design §7: own ratio and per-disease cap, no deductible) ─────────────────
    # M03900 cap 3000, 1000 used → 2000 left; 1500 × 0.80 = 1200.00 < 2000; psn 300.00
    Case(
        "chronic_M03900_cap_partly_used",
        "design §7: chronic 14 uses the disease's ratio and annual cap",
        inputs("1500.00", med_type="14", chronic_code="M03900"),
        Accumulators(year=YEAR, chronic={"M03900": Decimal("1000.00")}),
        Expect(
            act_pay_dedc=Decimal("0.00"),
            hifp_pay=Decimal("1200.00"),
            pool_prop_selfpay=Decimal("0.80"),
            fund_pay_sumamt=Decimal("1200.00"),
            psn_part_amt=Decimal("300.00"),
            psn_cash_pay=Decimal("300.00"),
            funds=funds(BASIC_EMPLOYEE),
            limits={BASIC_EMPLOYEE: Decimal("2000.00")},
        ),
        Accumulators(year=YEAR, chronic={"M03900": Decimal("1200.00")}),
    ),
    # resident M03900: 3000 − 2500 = 500 left; 1500 × 0.60 = 900 > 500 → 500.00;
    # burden 1000 (< 15000); psn 1000.00
    Case(
        "chronic_M03900_cap_cuts_resident",
        "design §7 step 3 with the per-disease cap",
        resident("1500.00", med_type="14", chronic_code="M03900"),
        Accumulators(year=YEAR, chronic={"M03900": Decimal("2500.00")}),
        Expect(
            act_pay_dedc=Decimal("0.00"),
            hifp_pay=Decimal("500.00"),
            pool_prop_selfpay=Decimal("0.60"),
            fund_pay_sumamt=Decimal("500.00"),
            psn_part_amt=Decimal("1000.00"),
            psn_cash_pay=Decimal("1000.00"),
            funds=funds(BASIC_RESIDENT),
            limits={BASIC_RESIDENT: Decimal("500.00")},
        ),
        Accumulators(
            year=YEAR,
            burden=Decimal("1000.00"),
            chronic={"M03900": Decimal("500.00")},
        ),
    ),
    # M01600 has its own cap (4000), M03900 being used up does not matter;
    # retired 85 %: 2000 × 0.85 = 1700.00; psn 300.00
    Case(
        "chronic_caps_are_per_disease",
        "design §7: per-disease cap; retired ratio 85 %",
        retired("2000.00", med_type="14", chronic_code="M01600"),
        Accumulators(year=YEAR, chronic={"M03900": Decimal("3000.00")}),
        Expect(
            act_pay_dedc=Decimal("0.00"),
            hifp_pay=Decimal("1700.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("1700.00"),
            psn_part_amt=Decimal("300.00"),
            psn_cash_pay=Decimal("300.00"),
            funds=funds(BASIC_EMPLOYEE),
            limits={BASIC_EMPLOYEE: Decimal("4000.00")},
        ),
        Accumulators(year=YEAR, chronic={"M01600": Decimal("1700.00")}),
    ),
    # ── degenerate bills and rounding ─────────────────────────────────────────────────────
    # everything 0: act min(0, 900) = 0; no fund pays; psn 0.00
    Case(
        "zero_amount_bill",
        "design §7 identities hold for an empty bill",
        inputs("0.00"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("0.00"),
            hifp_pay=Decimal("0.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("0.00"),
            psn_part_amt=Decimal("0.00"),
            psn_cash_pay=Decimal("0.00"),
            funds=funds(),
        ),
    ),
    # S = 0; medfee = 300 + 50 + 150 = 500 all personal; account 200 → acct 200, cash 300, balc 0
    Case(
        "only_self_pay_parts",
        "design §5 split + §7 step 6: S = 0, psn_part = medfee, account first",
        inputs(
            "0.00",
            fulamt="300.00",
            overlmt="50.00",
            preselfpay="150.00",
            acct_used=True,
            acct_balance="200.00",
        ),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("0.00"),
            hifp_pay=Decimal("0.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("0.00"),
            psn_part_amt=Decimal("500.00"),
            acct_pay=Decimal("200.00"),
            psn_cash_pay=Decimal("300.00"),
            balc=Decimal("0.00"),
            funds=funds(),
        ),
    ),
    # (1000.10 − 900) × 0.85 = 85.085 → 85.09 (half up, not 85.08); psn 1000.10 − 85.09 = 915.01
    Case(
        "hifp_rounding_half_up",
        "design §7: eligible × ratio rounded ROUND_HALF_UP",
        inputs("1000.10"),
        FRESH,
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("85.09"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("85.09"),
            psn_part_amt=Decimal("915.01"),
            psn_cash_pay=Decimal("915.01"),
            funds=funds(BASIC_EMPLOYEE),
        ),
    ),
    # admitted 2025-12-20, discharged 2026-01-03: one settlement on the 2026 accumulators (first
    # stay there, full deductible 900): 9100 × 0.85 = 7735.00; delta dated 2026
    Case(
        "cross_year_stay_settles_on_discharge_year",
        "design §7: a stay across New Year settles as one, on the discharge year's accumulators",
        inputs("10000.00", settled_on=date(2026, 1, 3)),
        Accumulators(year=2026),
        Expect(
            act_pay_dedc=Decimal("900.00"),
            hifp_pay=Decimal("7735.00"),
            pool_prop_selfpay=Decimal("0.85"),
            fund_pay_sumamt=Decimal("7735.00"),
            psn_part_amt=Decimal("2265.00"),
            psn_cash_pay=Decimal("2265.00"),
            funds=funds(BASIC_EMPLOYEE),
        ),
        Accumulators(year=2026, inpatient_hifp=Decimal("7735.00"), inpatient_stays=1),
    ),
]


def _case(entry: Any) -> Case:
    return entry if isinstance(entry, Case) else entry.values[0]


def test_table_is_large_and_names_are_unique() -> None:
    names = [_case(c).name for c in CASES]
    assert len(names) >= 40
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_breakdown(case: Case) -> None:
    b = compute_breakdown(case.inputs, case.policy, case.year)
    e = case.expect
    got = {
        "act_pay_dedc": b.act_pay_dedc,
        "hifp_pay": b.hifp_pay,
        "pool_prop_selfpay": b.pool_prop_selfpay,
        "hifob_pay": b.hifob_pay,
        "hifmi_pay": b.hifmi_pay,
        "cvlserv_pay": b.cvlserv_pay,
        "maf_pay": b.maf_pay,
        "fund_pay_sumamt": b.fund_pay_sumamt,
        "psn_part_amt": b.psn_part_amt,
        "acct_pay": b.acct_pay,
        "psn_cash_pay": b.psn_cash_pay,
        "balc": b.balc,
    }
    want = {name: getattr(e, name) for name in got}
    assert got == want
    assert b.medfee_sumamt == case.inputs.totals.medfee_sumamt
    assert {d.fund_pay_type for d in b.details} == e.funds
    limits = {d.fund_pay_type: d.crt_payb_lmt_amt for d in b.details}
    assert {k: limits.get(k) for k in e.limits} == dict(e.limits)
    assert breakdown_violations(b) == []
    if case.delta is not None:
        assert b.delta == case.delta


@dataclass(frozen=True, slots=True)
class Refused:
    name: str
    rule: str
    inputs: SettlementInputs


REFUSED = [
    Refused(
        "chronic_code_not_in_region_list",
        "design §7: chronic 14 needs the disease in the region's list (M00500 is not in it here)",
        inputs("1000.00", med_type="14", chronic_code="M00500"),
    ),
    Refused(
        "chronic_without_code",
        "design §7: chronic 14 needs a disease",
        inputs("1000.00", med_type="14", chronic_code=None),
    ),
]


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.name)
def test_breakdown_refuses(case: Refused) -> None:
    with pytest.raises(NotSettleable):
        compute_breakdown(case.inputs, SEED, FRESH)
