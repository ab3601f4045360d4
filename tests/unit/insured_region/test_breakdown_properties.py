"""Property tests of the payment breakdown (design §7) against every shipped region policy.

Pure: the policies are loaded once at import, then every property only calls
``compute_breakdown`` and ``Accumulators.plus``. Amounts are built from whole cents, never floats.
The oracles (person classes, 22号文 bounds, caps) are restated here from the design rather than
taken from the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from services.insured_region.adapters.policy_loader import load_policies
from services.insured_region.domain.breakdown import (
    Accumulators,
    Breakdown,
    FeeTotals,
    SettlementInputs,
    breakdown_violations,
    compute_breakdown,
)
from services.insured_region.domain.policy import (
    CHRONIC_MED_TYPES,
    INPATIENT_MED_TYPES,
    OUTPATIENT_MED_TYPES,
    PsnClass,
    RegionPolicy,
    bound_violations,
)

POLICIES = load_policies()
REGIONS = sorted(POLICIES)
YEAR = 2024
SETTLED_ON = date(YEAR, 6, 30)
ZERO = Decimal("0.00")

# design §6/§7 (22号文): the most a filing category may cut from the ratio, in percentage points
BOUND_PP = {"11": 0, "12": 0, "13": 0, "21": 10, "22": 10, "23": 20}
FILING_CATEGORIES: list[str | None] = [None, *sorted(BOUND_PP)]
EMERGENCY_MED_TYPES = ("13", "24")  # design §6: an emergency (22 where a filing is needed)
ASSISTANCE_IDENTITIES: list[str | None] = [None, "2301", "2302"]

# (insutype, psn_type) → class, as design §7 names them: 310 employees 11 在职 / 12 退休 / 13 离休,
# 390 residents 1x
KINDS = {
    ("310", "11"): PsnClass.EMPLOYEE_ACTIVE,
    ("310", "12"): PsnClass.EMPLOYEE_RETIRED,
    ("310", "13"): PsnClass.EMPLOYEE_RETIRED,
    ("390", "14"): PsnClass.RESIDENT,
    ("390", "15"): PsnClass.RESIDENT,
    ("390", "16"): PsnClass.RESIDENT,
}

FAST = settings(max_examples=300, deadline=None, database=None)
YEARS = settings(max_examples=150, deadline=None, database=None)


# ---------------------------------------------------------------- strategies


REGION = st.sampled_from(REGIONS)
"""Every property runs across every policy that loads; the budget does not grow with their count."""


def cents_between(low: Decimal, high: Decimal) -> st.SearchStrategy[Decimal]:
    """Whole cents in ``low..high``. Hypothesis favours the low end of a range, so the high end
    is drawn as often by mirroring: limits and caps are hit, not only approached."""
    lo, hi = int(low * 100), int(high * 100)
    near_low = st.integers(lo, hi)
    near_high = st.integers(lo, hi).map(lambda c: lo + hi - c)
    return st.one_of(near_low, near_high).map(lambda c: Decimal(c).scaleb(-2))


def cents_upto(limit: Decimal) -> st.SearchStrategy[Decimal]:
    return cents_between(ZERO, limit)


# small bills exercise deductibles and rounding, large ones the caps
AMOUNTS = st.one_of(
    cents_between(ZERO, Decimal(2_000)),
    cents_between(Decimal(2_000), Decimal(50_000)),
    cents_between(Decimal(50_000), Decimal(500_000)),
)


@dataclass(frozen=True, slots=True)
class Person:
    insutype: str
    psn_type: str
    psn_class: PsnClass
    civil_servant: bool
    assistance: str | None

    @property
    def employee(self) -> bool:
        return self.insutype == "310"


@st.composite
def persons(draw: st.DrawFn) -> Person:
    insutype, psn_type = draw(st.sampled_from(sorted(KINDS)))
    return Person(
        insutype=insutype,
        psn_type=psn_type,
        psn_class=KINDS[insutype, psn_type],
        civil_servant=draw(st.booleans()),
        assistance=draw(st.sampled_from(ASSISTANCE_IDENTITIES)),
    )


@st.composite
def fee_totals(draw: st.DrawFn) -> FeeTotals:
    return FeeTotals(
        fulamt_ownpay_amt=draw(AMOUNTS),
        overlmt_selfpay=draw(AMOUNTS),
        preselfpay_amt=draw(AMOUNTS),
        inscp_scp_amt=draw(AMOUNTS),
    )


def med_types(policy: RegionPolicy) -> st.SearchStrategy[str]:
    """Each pool about equally often (chronic only where the region lists a disease)."""
    pools = [
        st.sampled_from(sorted(INPATIENT_MED_TYPES)),
        st.sampled_from(sorted(OUTPATIENT_MED_TYPES)),
    ]
    if policy.chronic:
        pools.append(st.sampled_from(sorted(CHRONIC_MED_TYPES)))
    return st.one_of(pools)


@st.composite
def settlements(draw: st.DrawFn, policy: RegionPolicy, person: Person) -> SettlementInputs:
    """A valid settlement of ``person`` under ``policy`` (chronic code from the region's list)."""
    med_type = draw(med_types(policy))
    chronic_code = (
        draw(st.sampled_from(sorted(policy.chronic))) if med_type in CHRONIC_MED_TYPES else None
    )
    return SettlementInputs(
        totals=draw(fee_totals()),
        med_type=med_type,
        hospital_level=draw(st.integers(1, 3)),
        insutype=person.insutype,
        psn_type=person.psn_type,
        civil_servant=person.civil_servant,
        assistance=person.assistance,
        filing_category=draw(st.sampled_from(FILING_CATEGORIES)),
        settled_on=SETTLED_ON,
        acct_used=draw(st.booleans()),
        acct_balance=draw(AMOUNTS),
        chronic_code=chronic_code,
        emergency=draw(st.booleans()),
    )


@st.composite
def starting_years(draw: st.DrawFn, policy: RegionPolicy, person: Person) -> Accumulators:
    """Accumulators a person could have reached: every fund within its cap, the outpatient
    deductible met before the outpatient fund paid, no large-amount for residents, no
    critical illness or burden for employees, critical illness only above its threshold."""
    c = person.psn_class
    inpatient_hifp = draw(cents_upto(policy.inpatient.annual_cap[c]))
    outpatient_hifp = draw(cents_upto(policy.outpatient.annual_cap[c]))
    full_deductible = max(policy.outpatient.deductible[c])
    outpatient_deductible = (
        full_deductible if outpatient_hifp > 0 else draw(cents_upto(full_deductible))
    )
    hifob = hifmi = burden = ZERO
    if person.employee:
        hifob = draw(cents_upto(policy.large_amount.annual_cap))
    else:
        ci = policy.critical_illness
        burden = draw(cents_upto(Decimal(600_000)))
        top = max(s.ratio for s in ci.segments) * max(ZERO, burden - ci.threshold)
        hifmi = draw(cents_upto(min(ci.annual_cap, top)))
    aid = policy.assistance.get(person.assistance or "")
    codes = (
        draw(st.lists(st.sampled_from(sorted(policy.chronic)), unique=True))
        if policy.chronic
        else []
    )
    return Accumulators(
        year=YEAR,
        inpatient_hifp=inpatient_hifp,
        inpatient_stays=draw(st.integers(1 if inpatient_hifp > 0 else 0, 12)),
        outpatient_hifp=outpatient_hifp,
        outpatient_deductible=outpatient_deductible,
        hifob=hifob,
        hifmi=hifmi,
        burden=burden,
        maf=draw(cents_upto(aid.annual_cap)) if aid else ZERO,
        chronic={code: draw(cents_upto(policy.chronic[code].annual_cap)) for code in sorted(codes)},
    )


def identity_problems(b: Breakdown) -> list[str]:
    """The four identities of design §7, checked here independently of the code's own list."""
    problems = []
    if b.medfee_sumamt != (
        b.fulamt_ownpay_amt + b.overlmt_selfpay + b.preselfpay_amt + b.inscp_scp_amt
    ):
        problems.append("medfee ≠ fulamt + overlmt + preselfpay + inscp")
    if b.fund_pay_sumamt != (
        b.hifp_pay + b.hifob_pay + b.hifmi_pay + b.cvlserv_pay + b.maf_pay + b.oth_pay
    ):
        problems.append("fund_pay_sumamt ≠ hifp + hifob + hifmi + cvlserv + maf + oth")
    if b.psn_part_amt != b.medfee_sumamt - b.fund_pay_sumamt:
        problems.append("psn_part ≠ medfee − fund_pay_sumamt")
    if b.psn_part_amt != b.acct_pay + b.psn_cash_pay:
        problems.append("psn_part ≠ acct_pay + psn_cash_pay")
    return problems


# ---------------------------------------------------------------- 1. identities


@FAST
@given(data=st.data())
def test_every_breakdown_balances_to_the_cent(data: st.DataObject) -> None:
    policy = POLICIES[data.draw(REGION, label="region")]
    person = data.draw(persons(), label="person")
    year = data.draw(starting_years(policy, person), label="year")
    inputs = data.draw(settlements(policy, person), label="inputs")

    b = compute_breakdown(inputs, policy, year)

    assert breakdown_violations(b) == []
    assert identity_problems(b) == []


# ---------------------------------------------------------------- 2. a year stays within its caps


@YEARS
@given(data=st.data())
def test_a_year_of_settlements_stays_within_every_cap(data: st.DataObject) -> None:
    policy = POLICIES[data.draw(REGION, label="region")]
    person = data.draw(persons(), label="person")
    visits = data.draw(
        st.lists(settlements(policy, person), min_size=1, max_size=60), label="visits"
    )
    balance = data.draw(AMOUNTS, label="opening balance")
    c = person.psn_class
    aid = policy.assistance.get(person.assistance or "")

    year = Accumulators(year=YEAR)
    paid = {"inpatient": ZERO, "outpatient": ZERO, "hifob": ZERO, "hifmi": ZERO, "maf": ZERO}
    chronic: dict[str, Decimal] = {}
    for visit in visits:
        b = compute_breakdown(replace(visit, acct_balance=balance), policy, year)
        year = year.plus(b.delta)
        if visit.chronic_code is not None:
            chronic[visit.chronic_code] = chronic.get(visit.chronic_code, ZERO) + b.hifp_pay
        elif visit.med_type in INPATIENT_MED_TYPES:
            paid["inpatient"] += b.hifp_pay
        else:
            paid["outpatient"] += b.hifp_pay
        paid["hifob"] += b.hifob_pay
        paid["hifmi"] += b.hifmi_pay
        paid["maf"] += b.maf_pay
        assert b.balc == balance - b.acct_pay
        balance = b.balc

        assert paid["inpatient"] <= policy.inpatient.annual_cap[c]
        assert paid["outpatient"] <= policy.outpatient.annual_cap[c]
        assert paid["hifob"] <= policy.large_amount.annual_cap
        assert paid["hifmi"] <= policy.critical_illness.annual_cap
        assert paid["maf"] <= (aid.annual_cap if aid else ZERO)
        for code, amount in chronic.items():
            assert amount <= policy.chronic[code].annual_cap, code
        assert balance >= 0
        # the accumulators the next settlement sees are these same sums
        assert (year.inpatient_hifp, year.outpatient_hifp) == (
            paid["inpatient"],
            paid["outpatient"],
        )
        assert (year.hifob, year.hifmi, year.maf) == (paid["hifob"], paid["hifmi"], paid["maf"])
        assert {k: v for k, v in year.chronic.items() if v} == {
            k: v for k, v in chronic.items() if v
        }


# ---------------------------------------------------------------- 3. cancel, then settle again


@dataclass(frozen=True, slots=True)
class RoundTrip:
    region: str
    start: Accumulators
    first: SettlementInputs
    second: SettlementInputs


@st.composite
def round_trips(draw: st.DrawFn) -> RoundTrip:
    region = draw(REGION)
    policy = POLICIES[region]
    person = draw(persons())
    return RoundTrip(
        region=region,
        start=draw(starting_years(policy, person)),
        first=draw(settlements(policy, person)),
        second=draw(settlements(policy, person)),
    )


def settle_cancel_resettle(
    case: RoundTrip,
) -> tuple[Accumulators, Accumulators, Breakdown, Breakdown]:
    """Settle A then B, give B back, settle B again: (year before B, year after the cancel,
    B, B again). B pays from the balance A left."""
    policy = POLICIES[case.region]
    a = compute_breakdown(case.first, policy, case.start)
    before_b = case.start.plus(a.delta)
    second = replace(case.second, acct_balance=a.balc)
    b = compute_breakdown(second, policy, before_b)
    after_cancel = before_b.plus(b.delta).plus(b.delta, -1)
    return before_b, after_cancel, b, compute_breakdown(second, policy, after_cancel)


def _zero_bill_case() -> RoundTrip:
    """Regression: an empty year, a zero outpatient bill, then a zero chronic bill for a disease
    the year had not seen. ``Accumulators.plus`` used to leave ``{code: 0.00}`` behind after the
    cancel, so the year was not == the year before B."""
    region = next((r for r in REGIONS if POLICIES[r].chronic), REGIONS[0] if REGIONS else "")
    chronic = sorted(POLICIES[region].chronic) if region else []
    zero = FeeTotals(ZERO, ZERO, ZERO, ZERO)
    first = SettlementInputs(
        totals=zero,
        med_type="11",
        hospital_level=1,
        insutype="310",
        psn_type="11",
        civil_servant=False,
        assistance=None,
        filing_category=None,
        settled_on=SETTLED_ON,
        acct_used=False,
        acct_balance=ZERO,
    )
    second = replace(first, med_type="14", chronic_code=chronic[0] if chronic else None)
    return RoundTrip(region, Accumulators(year=YEAR), first, second)


@FAST
@given(case=round_trips())
@example(case=_zero_bill_case())
def test_cancel_gives_back_exactly_the_year_before(case: RoundTrip) -> None:
    before_b, after_cancel, b, b_again = settle_cancel_resettle(case)

    assert after_cancel == before_b
    assert b_again == b


# ---------------------------------------------------------------- 4. monotone in in-scope


@FAST
@given(data=st.data())
def test_a_larger_in_scope_bill_never_lowers_what_the_funds_pay(
    data: st.DataObject,
) -> None:
    policy = POLICIES[data.draw(REGION, label="region")]
    person = data.draw(persons(), label="person")
    year = data.draw(starting_years(policy, person), label="year")
    smaller = data.draw(settlements(policy, person), label="smaller")
    # a cent or a few yuan find rounding steps, large increments cross deductibles and caps
    extra = data.draw(st.one_of(cents_upto(Decimal(5)), AMOUNTS), label="extra in-scope")
    s = smaller.totals.inscp_scp_amt
    larger = replace(smaller, totals=replace(smaller.totals, inscp_scp_amt=s + extra))

    low = compute_breakdown(smaller, policy, year)
    high = compute_breakdown(larger, policy, year)

    assert high.fund_pay_sumamt >= low.fund_pay_sumamt
    assert high.hifp_pay >= low.hifp_pay


# ---------------------------------------------------------------- 5. the 22号文 bound on the ratio


def base_ratio(policy: RegionPolicy, inputs: SettlementInputs) -> Decimal:
    psn_class = KINDS[inputs.insutype, inputs.psn_type]
    if inputs.chronic_code is not None:
        return policy.chronic[inputs.chronic_code].ratio[psn_class]
    pool = policy.inpatient if inputs.med_type in INPATIENT_MED_TYPES else policy.outpatient
    return pool.ratio[psn_class][inputs.hospital_level - 1]


def bound_pp(inputs: SettlementInputs) -> int:
    """The largest cut 22号文 allows: by filing category; none where no filing is needed (None),
    emergency or not (design §7 step 2). An emergency under a filing is never cut more than an
    emergency (seed 000 §(六))."""
    category = inputs.filing_category
    bound = BOUND_PP[category] if category else 0
    if inputs.emergency or inputs.med_type in EMERGENCY_MED_TYPES:
        return min(bound, BOUND_PP["22"])
    return bound


@st.composite
def policies_within_bounds(draw: st.DrawFn, policy: RegionPolicy) -> RegionPolicy:
    """The shipped policy, or the same with any cut the loader would accept (0.5 pp steps)."""
    if draw(st.booleans()):
        return policy
    cuts = {
        category: Decimal(draw(st.integers(0, 2 * pp))) / 2 for category, pp in BOUND_PP.items()
    }
    variant = replace(policy, reduction_pp=cuts)
    assume(bound_violations(variant) == [])
    return variant


@FAST
@given(data=st.data())
def test_the_ratio_is_never_cut_below_the_22号文_bound(data: st.DataObject) -> None:
    region = data.draw(REGION, label="region")
    policy = data.draw(policies_within_bounds(POLICIES[region]), label="policy")
    person = data.draw(persons(), label="person")
    year = data.draw(starting_years(policy, person), label="year")
    inputs = data.draw(settlements(policy, person), label="inputs")

    b = compute_breakdown(inputs, policy, year)

    base = base_ratio(policy, inputs)
    assert base - Decimal(bound_pp(inputs)) / 100 <= b.pool_prop_selfpay <= base
    assert b.pool_prop_selfpay > 0
