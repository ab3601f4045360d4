"""An emergency never costs the patient more than the same care without it (issue 12, item 15).

The emergency rule supplies a filing only where the care needs one: 视同已备案 (seed 002: 异地急诊
抢救人员视同已备案; 内蒙古细则 第三十四条: 对“急诊”参保人员未办理异地就医备案的, 视同已备案).
Care that needs no filing (内蒙古细则 第十条: 自治区内异地就医、跨省门诊就医、跨省药店购药 …
无需办理异地就医备案) gets the no-filing treatment, emergency or not; and an emergency under a
held filing is never cut more than an emergency (seed 000 一(六): only 非急诊且未办理转诊 travellers
lose 15 pp). Each case runs the domain as the settlement use case does — ``coverage`` on the
hospital's dates, then ``compute_breakdown`` — against every shipped region policy.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.insured_region.adapters.policy_loader import load_policies
from services.insured_region.domain.breakdown import (
    Accumulators,
    Breakdown,
    FeeTotals,
    SettlementInputs,
    breakdown_violations,
    compute_breakdown,
)
from services.insured_region.domain.filing import Care, coverage
from services.insured_region.domain.person import Filing
from services.insured_region.domain.policy import (
    FILING_CATEGORIES,
    LONG_TERM_CATEGORIES,
    RegionPolicy,
)
from shared.errors import E2001, RelayError
from shared.regions import POOLS, province_of

POLICIES = load_policies()
ADMIT = date(2025, 5, 3)
DISCHARGE = date(2025, 5, 12)
YEARS = (
    Accumulators(year=2025),
    # deductibles used, caps partly used: the ratio decides every yuan
    Accumulators(
        year=2025,
        inpatient_hifp=Decimal("100000.00"),
        inpatient_stays=2,
        outpatient_hifp=Decimal("1000.00"),
        outpatient_deductible=Decimal("5000.00"),
    ),
)
PERSONS = (("310", "11"), ("390", "15"))
LEVELS = (1, 3)
BILLS = {
    "inpatient": (Decimal("650.00"), Decimal("160000.00")),
    "outpatient": (Decimal("80.00"), Decimal("6000.00")),
}
# (med_type, emergency flag) of the emergency, and the med_type of the same care without it
FORMS = {
    "inpatient": ((("21", True), ("24", False), ("24", True)), "21"),
    "outpatient": ((("11", True), ("13", False), ("13", True)), "11"),
}
OTHER_CITY = {"130100": ("130200",), "220100": ("220200",), "650100": ("650200",)}
"""A city of the same province outside the scenario's pools (唐山, 吉林市, 克拉玛依): the
province has no second pool here, and intra-province care still needs checking."""


def places(insured: str, route: str) -> tuple[str, ...]:
    """Where a person insured in ``insured`` is treated, on that route (北京/天津: no intra)."""
    same = tuple(
        p for p in POOLS if p != insured and province_of(p) == province_of(insured)
    ) or OTHER_CITY.get(insured, ())
    if route == "intra":
        return same
    return tuple(p for p in POOLS if province_of(p) != province_of(insured))


def held(category: str | None, treating: str) -> tuple[Filing, ...]:
    """No filing, or one filing of ``category`` to the treating place, valid over the stay."""
    if category is None:
        return ()
    long_term = category in LONG_TERM_CATEGORIES
    return (
        Filing(
            filing_id=f"F{category}",
            category=category,
            dest_admdvs=treating,
            begndate=date(2025, 3, 1),
            enddate=None if long_term else date(2025, 9, 1),
            status="active",
        ),
    )


def settle(
    policy: RegionPolicy,
    filings: tuple[Filing, ...],
    care: Care,
    person: tuple[str, str],
    level: int,
    inscp: Decimal,
    year: Accumulators,
) -> Breakdown | None:
    """Coverage, then the breakdown, as ``service_layer.settlement`` chains them; None on E2001."""
    try:
        covered = coverage(policy.filing, filings, care)
    except RelayError as exc:
        if exc.code == E2001.code:
            return None
        raise
    assert care.settled_on is not None
    inputs = SettlementInputs(
        totals=FeeTotals(Decimal("120.00"), Decimal("0.00"), Decimal("80.00"), inscp),
        med_type=care.med_type,
        hospital_level=level,
        insutype=person[0],
        psn_type=person[1],
        civil_servant=False,
        assistance=None,
        filing_category=covered.category,
        settled_on=care.settled_on,
        acct_used=False,
        acct_balance=Decimal("0.00"),
        emergency=care.emergency,
    )
    b = compute_breakdown(inputs, policy, year)
    assert breakdown_violations(b) == []
    return b


GRID = [
    pytest.param(admdvs, pool, route, id=f"{admdvs}-{pool}-{route}")
    for admdvs in sorted(POLICIES)
    for pool in ("inpatient", "outpatient")
    for route in ("intra", "cross")
    if places(admdvs, route)
]


def test_the_grid_covers_every_policy_both_pools_and_both_routes() -> None:
    assert {a for a, _, _ in (p.values for p in GRID)} == set(POLICIES) == set(POOLS)
    assert {(pool, route) for _, pool, route in (p.values for p in GRID)} == {
        (pool, route) for pool in ("inpatient", "outpatient") for route in ("intra", "cross")
    }


@pytest.mark.parametrize(("admdvs", "pool", "route"), GRID)
def test_an_emergency_never_costs_the_patient_more(admdvs: str, pool: str, route: str) -> None:
    policy = POLICIES[admdvs]
    emergencies, plain_type = FORMS[pool]
    worse: list[str] = []
    compared = 0
    for treating in places(admdvs, route):
        for category in (None, *sorted(FILING_CATEGORIES)):
            filings = held(category, treating)
            for person in PERSONS:
                for level in LEVELS:
                    for inscp in BILLS[pool]:
                        for n, year in enumerate(YEARS):
                            common = (person, level, inscp, year)
                            plain_care = Care(admdvs, treating, plain_type, ADMIT, DISCHARGE)
                            plain = settle(policy, filings, plain_care, *common)
                            if plain is None:
                                continue  # the care does not settle without the emergency
                            for med_type, flag in emergencies:
                                care = Care(
                                    admdvs, treating, med_type, ADMIT, DISCHARGE, emergency=flag
                                )
                                urgent = settle(policy, filings, care, *common)
                                assert urgent is not None, "an emergency always settles"
                                compared += 1
                                if (
                                    urgent.psn_part_amt > plain.psn_part_amt
                                    or urgent.psn_cash_pay > plain.psn_cash_pay
                                ):
                                    worse.append(
                                        f"{treating} filing {category} {person} L{level} "
                                        f"S={inscp} year#{n} {med_type}/flag={flag}: "
                                        f"{urgent.psn_part_amt} > {plain.psn_part_amt}"
                                    )
    assert compared > 0
    assert worse == []


def test_baotou_employee_emergency_stay_in_hohhot_costs_what_the_planned_stay_costs() -> None:
    """内蒙古细则 第十条: care inside the region needs no filing, so 第三十四条 supplies none.

    包头 (150200) active employee, level-3 hospital of the region-level pool (159900, Hohhot):
    S = 20000.00, fulamt 500.00, preselfpay 1000.00, medfee 21500.00. Deductible 900 (level 3);
    ratio 0.84, no cut: hifp = (20000 − 900) × 0.84 = 16044.00; psn = 21500 − 16044 = 5456.00.
    Before the fix the emergency counted as 22 (−5 pp in 包头): 19100 × 0.79 = 15089.00 and
    psn 6411.00, 955.00 more than the planned stay.
    """
    policy = POLICIES["150200"]
    totals = FeeTotals(Decimal("500.00"), Decimal("0.00"), Decimal("1000.00"), Decimal("20000.00"))
    results = []
    for med_type, flag in (("21", False), ("21", True), ("24", False), ("24", True)):
        care = Care("150200", "159900", med_type, ADMIT, DISCHARGE, emergency=flag)
        covered = coverage(policy.filing, (), care)
        assert covered.category is None
        b = compute_breakdown(
            SettlementInputs(
                totals=totals,
                med_type=med_type,
                hospital_level=3,
                insutype="310",
                psn_type="11",
                civil_servant=False,
                assistance=None,
                filing_category=covered.category,
                settled_on=DISCHARGE,
                acct_used=False,
                acct_balance=Decimal("0.00"),
                emergency=flag,
            ),
            policy,
            Accumulators(year=2025),
        )
        assert breakdown_violations(b) == []
        results.append(
            (b.pool_prop_selfpay, b.hifp_pay, b.fund_pay_sumamt, b.psn_part_amt, b.psn_cash_pay)
        )
    planned = (
        Decimal("0.84"),
        Decimal("16044.00"),
        Decimal("16044.00"),
        Decimal("5456.00"),
        Decimal("5456.00"),
    )
    assert results == [planned] * 4
