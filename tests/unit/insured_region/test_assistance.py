"""Medical assistance (医疗救助, fund 610100) pays for 特困 / 低保 identities (issue 12, item 17).

Design §7 step 5: after the basic fund and the top-ups, an assistance identity gets
``maf_pay = min(left × maf_ratio, maf_cap − maf_paid_this_year)``, with its own setldetail row.
Every shipped policy must price both simulated identities, or the demo's aided patients would
settle without it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.insured_region.adapters.policy_loader import load_policies
from services.insured_region.domain.breakdown import (
    Accumulators,
    FeeTotals,
    SettlementInputs,
    breakdown_violations,
    compute_breakdown,
)
from shared.identities import ASSISTANCE_IDENTITIES

POLICIES = load_policies()
SETTLED_ON = date(2025, 6, 30)
ASSISTANCE_FUND = "610100"


def resident(
    inscp: str, *, assistance: str | None, med_type: str = "21", level: int = 2
) -> SettlementInputs:
    return SettlementInputs(
        totals=FeeTotals(Decimal("300.00"), Decimal("0.00"), Decimal("0.00"), Decimal(inscp)),
        med_type=med_type,
        hospital_level=level,
        insutype="390",
        psn_type="15",
        civil_servant=False,
        assistance=assistance,
        filing_category=None,
        settled_on=SETTLED_ON,
        acct_used=False,
        acct_balance=Decimal("0.00"),
    )


@pytest.mark.parametrize("admdvs", sorted(POLICIES))
def test_every_policy_prices_both_simulated_identities(admdvs: str) -> None:
    aid = POLICIES[admdvs].assistance
    assert set(ASSISTANCE_IDENTITIES) <= set(aid)
    for code in ASSISTANCE_IDENTITIES:
        assert aid[code].ratio > 0
        assert aid[code].annual_cap > 0


@pytest.mark.parametrize("admdvs", sorted(POLICIES))
@pytest.mark.parametrize("code", sorted(ASSISTANCE_IDENTITIES))
@pytest.mark.parametrize(("med_type", "inscp"), [("21", "10000.00"), ("11", "300.00")])
def test_an_assistance_identity_is_paid_by_610100(
    admdvs: str, code: str, med_type: str, inscp: str
) -> None:
    policy = POLICIES[admdvs]
    year = Accumulators(year=SETTLED_ON.year)
    aided = compute_breakdown(resident(inscp, assistance=code, med_type=med_type), policy, year)
    plain = compute_breakdown(resident(inscp, assistance=None, med_type=med_type), policy, year)

    assert breakdown_violations(aided) == []
    assert aided.maf_pay > 0
    rows = {d.fund_pay_type: d for d in aided.details}
    assert rows[ASSISTANCE_FUND].fund_payamt == aided.maf_pay
    assert rows[ASSISTANCE_FUND].crt_payb_lmt_amt == policy.assistance[code].annual_cap
    assert aided.psn_part_amt == plain.psn_part_amt - aided.maf_pay
    assert aided.delta.maf == aided.maf_pay
    assert ASSISTANCE_FUND not in {d.fund_pay_type for d in plain.details}


def test_baotou_dibao_resident_stay_hand_worked() -> None:
    """包头 (150200) resident, 低保 (2302: 0.70, cap 28000), level-2 stay, S = 10000.00, fulamt
    300.00: deductible 400; hifp = 9600 × 0.78 = 7488.00; burden 2512.00 < 14000 → no 大病;
    left 2512.00; maf = 2512.00 × 0.70 = 1758.40; fund 9246.40; psn 10300 − 9246.40 = 1053.60.
    """
    b = compute_breakdown(
        resident("10000.00", assistance="2302"), POLICIES["150200"], Accumulators(year=2025)
    )
    assert (b.hifp_pay, b.hifmi_pay, b.maf_pay) == (
        Decimal("7488.00"),
        Decimal("0.00"),
        Decimal("1758.40"),
    )
    assert (b.fund_pay_sumamt, b.psn_part_amt, b.psn_cash_pay) == (
        Decimal("9246.40"),
        Decimal("1053.60"),
        Decimal("1053.60"),
    )
    assert [(d.fund_pay_type, d.fund_payamt, d.crt_payb_lmt_amt) for d in b.details] == [
        ("390100", Decimal("7488.00"), Decimal("110000.00")),
        (ASSISTANCE_FUND, Decimal("1758.40"), Decimal("28000.00")),
    ]
    assert breakdown_violations(b) == []
