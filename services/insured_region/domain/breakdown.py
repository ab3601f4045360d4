"""The payment breakdown (参保地政策): who pays what of one settlement, step by step (design §7).

Pure: no clock, no database. The caller passes the person-year's accumulators and gets the new
ones back; a cancel applies the negative of the same delta.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal

from services.insured_region.domain.policy import (
    EMERGENCY_CATEGORY,
    EMERGENCY_MED_TYPES,
    Pool,
    PsnClass,
    RegionPolicy,
    pool_of,
    psn_class_of,
)
from shared.money import ZERO, parts_violation, to_cents

BASIC_FUND = {
    "310": ("310100", "职工基本医疗保险统筹基金"),
    "390": ("390100", "城乡居民基本医疗保险基金"),
}
LARGE_AMOUNT_FUND = ("330100", "大额医疗费用补助基金")
CRITICAL_ILLNESS_FUND = ("390200", "城乡居民大病医疗保险基金")
CIVIL_SERVANT_FUND = ("320100", "公务员医疗补助基金")
ASSISTANCE_FUND = ("610100", "医疗救助基金")


@dataclass(frozen=True, slots=True)
class FeeTotals:
    """The four parts of the bill as the treating region split it (design §5)."""

    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal

    @property
    def medfee_sumamt(self) -> Decimal:
        return (
            self.fulamt_ownpay_amt
            + self.overlmt_selfpay
            + self.preselfpay_amt
            + (self.inscp_scp_amt)
        )


@dataclass(frozen=True, slots=True)
class Accumulators:
    """One person's year: what each fund has paid, and what counts towards deductibles."""

    year: int
    inpatient_hifp: Decimal = ZERO
    inpatient_stays: int = 0
    outpatient_hifp: Decimal = ZERO
    outpatient_deductible: Decimal = ZERO
    hifob: Decimal = ZERO
    hifmi: Decimal = ZERO
    burden: Decimal = ZERO
    """The in-scope amount the person bore after the basic fund (critical illness counts it)."""
    maf: Decimal = ZERO
    chronic: Mapping[str, Decimal] = field(default_factory=dict)

    def plus(self, delta: Accumulators, sign: int = 1) -> Accumulators:
        """Add (or with ``sign=-1`` give back) a settlement's delta to this year."""
        changes: dict[str, object] = {}
        for f in fields(self):
            if f.name == "year":
                continue
            mine, theirs = getattr(self, f.name), getattr(delta, f.name)
            if f.name == "chronic":
                codes = set(mine) | set(theirs)
                summed = {c: mine.get(c, ZERO) + sign * theirs.get(c, ZERO) for c in sorted(codes)}
                # a disease whose amounts all came back leaves no trace: cancel restores ==
                changes[f.name] = {c: v for c, v in summed.items() if v != 0}
            else:
                changes[f.name] = mine + sign * theirs
        return replace(self, **changes)  # type: ignore[arg-type]  # fields set by name


@dataclass(frozen=True, slots=True)
class SettlementInputs:
    totals: FeeTotals
    med_type: str
    hospital_level: int
    insutype: str
    psn_type: str
    civil_servant: bool
    assistance: str | None
    filing_category: str | None
    """The filing that covers this care (11–23); None where none is needed."""
    settled_on: date
    """Inpatient: the discharge date — a stay across New Year settles on that year."""
    acct_used: bool
    acct_balance: Decimal
    chronic_code: str | None = None
    emergency: bool = False


@dataclass(frozen=True, slots=True)
class FundPayment:
    fund_pay_type: str
    fund_pay_type_name: str
    inscp_scp_amt: Decimal
    crt_payb_lmt_amt: Decimal
    """What the fund could still pay this year before this settlement."""
    fund_payamt: Decimal
    setl_proc_info: str


@dataclass(frozen=True, slots=True)
class Breakdown:
    medfee_sumamt: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal
    act_pay_dedc: Decimal
    hifp_pay: Decimal
    pool_prop_selfpay: Decimal
    """The ratio the basic fund applied (the national field's comment: 统筹基金支付比例)."""
    hifob_pay: Decimal
    hifmi_pay: Decimal
    cvlserv_pay: Decimal
    maf_pay: Decimal
    oth_pay: Decimal
    fund_pay_sumamt: Decimal
    psn_part_amt: Decimal
    acct_pay: Decimal
    psn_cash_pay: Decimal
    balc: Decimal
    details: tuple[FundPayment, ...]
    trace: tuple[str, ...]
    delta: Accumulators
    """What this settlement adds to the year; a cancel gives exactly this back."""


class NotSettleable(ValueError):
    """The inputs ask for something the policy does not cover (e.g. a chronic code not listed)."""


def _level_index(level: int) -> int:
    if level not in (1, 2, 3):
        raise NotSettleable(f"医院等级 {level} 应为 1、2 或 3")
    return level - 1


def _critical_illness_pay(
    policy: RegionPolicy, burden_before: Decimal, burden_after: Decimal
) -> tuple[Decimal, list[str]]:
    """Each segment's ratio on the part of this settlement's burden that falls inside it."""
    ci = policy.critical_illness
    lo, hi = burden_before - ci.threshold, burden_after - ci.threshold
    total, steps, start = ZERO, [], ZERO
    for seg in ci.segments:
        end = seg.upto
        overlap_lo = max(lo, start)
        overlap_hi = hi if end is None else min(hi, end)
        if overlap_hi > overlap_lo:
            part = overlap_hi - overlap_lo
            total += part * seg.ratio
            steps.append(f"{part}×{seg.ratio}")
        if end is None:
            break
        start = end
    return to_cents(total), steps


def compute_breakdown(
    inputs: SettlementInputs, policy: RegionPolicy, year: Accumulators
) -> Breakdown:
    """Design §7, steps 1–7; every step rounded to the cent, half up."""
    t = inputs.totals
    s = t.inscp_scp_amt
    if min(t.fulamt_ownpay_amt, t.overlmt_selfpay, t.preselfpay_amt, s) < 0:
        raise NotSettleable("结算金额不能为负数")
    pool = pool_of(inputs.med_type)
    psn_class = psn_class_of(inputs.insutype, inputs.psn_type)
    level = _level_index(inputs.hospital_level)
    employee = psn_class is not PsnClass.RESIDENT
    trace: list[str] = [f"政策范围内费用 S = {s}"]
    delta_chronic: dict[str, Decimal] = {}

    # 1. deductible (起付线)
    if pool is Pool.INPATIENT:
        deductible = policy.inpatient.deductible[psn_class][level]
        if year.inpatient_stays > 0:
            deductible = to_cents(deductible * policy.inpatient.later_stay_deductible_factor)
        deductible_left = deductible
    elif pool is Pool.OUTPATIENT:
        deductible = policy.outpatient.deductible[psn_class][level]
        deductible_left = max(ZERO, deductible - year.outpatient_deductible)
    else:
        deductible_left = ZERO
    act_pay_dedc = min(s, deductible_left)
    trace.append(f"1 起付线 剩余 {deductible_left}，本次 act_pay_dedc = {act_pay_dedc}")

    # 2. ratio, cut for temporary travellers by filing category (22号文 bounds, checked at load)
    category = inputs.filing_category
    emergency = inputs.emergency or inputs.med_type in EMERGENCY_MED_TYPES
    # None: the care needs no filing (内蒙古细则 第十条), emergency or not: no cut. Coverage
    # already counted an unfiled emergency as 22 (视同已备案); an emergency under a held filing
    # cut more than 22 is paid as an emergency (seed 000 一(六) cuts 非急诊 travellers only)
    if (
        emergency
        and category is not None
        and policy.reduction_for(category) > policy.reduction_for(EMERGENCY_CATEGORY)
    ):
        category = EMERGENCY_CATEGORY
    reduction = policy.reduction_for(category)
    if pool is Pool.CHRONIC:
        if inputs.chronic_code is None or inputs.chronic_code not in policy.chronic:
            raise NotSettleable(f"病种 {inputs.chronic_code} 不在参保地门诊慢特病病种范围内")
        disease = policy.chronic[inputs.chronic_code]
        base_ratio = disease.ratio[psn_class]
        cap = disease.annual_cap
        paid = year.chronic.get(inputs.chronic_code, ZERO)
    else:
        pool_policy = policy.inpatient if pool is Pool.INPATIENT else policy.outpatient
        base_ratio = pool_policy.ratio[psn_class][level]
        cap = pool_policy.annual_cap[psn_class]
        paid = year.inpatient_hifp if pool is Pool.INPATIENT else year.outpatient_hifp
    ratio = max(ZERO, base_ratio - reduction / 100)
    trace.append(
        f"2 比例 {base_ratio} − 备案类别 {category or '-'} 降低 {reduction} 个百分点 = {ratio}"
    )

    # 3. basic fund, up to what is left of its annual cap
    eligible = s - act_pay_dedc
    cap_left = max(ZERO, cap - paid)
    uncapped = to_cents(eligible * ratio)
    hifp_pay = min(uncapped, cap_left)
    basic_info = (
        f"3 统筹 ({s} − {act_pay_dedc}) × {ratio} = {uncapped}，年度限额剩余 {cap_left}，"
        f"hifp_pay = {hifp_pay}"
    )
    trace.append(basic_info)

    # 4. what the cap left unpaid goes to large-amount (employees) or critical illness (residents)
    over_cap = to_cents(eligible - hifp_pay / ratio) if hifp_pay < uncapped and ratio else ZERO
    hifob_pay = hifmi_pay = ZERO
    hifob_left = max(ZERO, policy.large_amount.annual_cap - year.hifob)
    hifmi_left = max(ZERO, policy.critical_illness.annual_cap - year.hifmi)
    burden = s - hifp_pay
    if employee:
        hifob_pay = min(to_cents(over_cap * policy.large_amount.ratio), hifob_left)
        top_up_info = (
            f"4 大额 超限额 {over_cap} × {policy.large_amount.ratio}，剩余 {hifob_left}，"
            f"hifob_pay = {hifob_pay}"
        )
    else:
        pay, parts = _critical_illness_pay(policy, year.burden, year.burden + burden)
        hifmi_pay = min(pay, hifmi_left, burden)
        top_up_info = (
            f"4 大病 年度自付累计 {year.burden} → {year.burden + burden}，起付 "
            f"{policy.critical_illness.threshold}，{' + '.join(parts) or '未达起付'}，"
            f"剩余 {hifmi_left}，hifmi_pay = {hifmi_pay}"
        )
    trace.append(top_up_info)

    # 5. civil-servant subsidy, then medical assistance, on what is left of S
    left = max(ZERO, s - hifp_pay - hifob_pay - hifmi_pay)
    cvlserv_pay = maf_pay = ZERO
    cvlserv_limit, cvlserv_info = left, ""
    if inputs.civil_servant and employee:
        cvlserv_pay = to_cents(left * policy.civil_servant_ratio)
        cvlserv_info = f"5 公务员补助 {left} × {policy.civil_servant_ratio} = {cvlserv_pay}"
        trace.append(cvlserv_info)
        left -= cvlserv_pay
    maf_left, maf_info = ZERO, ""
    if inputs.assistance and inputs.assistance in policy.assistance:
        aid = policy.assistance[inputs.assistance]
        maf_left = max(ZERO, aid.annual_cap - year.maf)
        maf_pay = min(to_cents(left * aid.ratio), maf_left)
        maf_info = f"5 医疗救助 {left} × {aid.ratio}，剩余 {maf_left}，maf_pay = {maf_pay}"
        trace.append(maf_info)

    # 6. what the person pays, from the account first when asked (employees only)
    oth_pay = ZERO
    fund_pay_sumamt = hifp_pay + hifob_pay + hifmi_pay + cvlserv_pay + maf_pay + oth_pay
    psn_part_amt = t.medfee_sumamt - fund_pay_sumamt
    acct_pay = ZERO
    if inputs.acct_used and employee:
        acct_pay = max(ZERO, min(inputs.acct_balance, psn_part_amt))
    psn_cash_pay = psn_part_amt - acct_pay
    balc = inputs.acct_balance - acct_pay
    trace.append(
        f"6 基金合计 {fund_pay_sumamt}，个人负担 {psn_part_amt} = "
        f"账户 {acct_pay} + 现金 {psn_cash_pay}"
    )

    # 7. one detail row per fund that paid
    basic = BASIC_FUND[inputs.insutype]
    rows = [
        (basic, hifp_pay, cap_left, basic_info),
        (LARGE_AMOUNT_FUND, hifob_pay, hifob_left, top_up_info),
        (CRITICAL_ILLNESS_FUND, hifmi_pay, hifmi_left, top_up_info),
        (CIVIL_SERVANT_FUND, cvlserv_pay, cvlserv_limit, cvlserv_info),
        (ASSISTANCE_FUND, maf_pay, maf_left, maf_info),
    ]
    details = tuple(
        FundPayment(code, name, s, limit, amount, info)
        for (code, name), amount, limit, info in rows
        if amount > 0
    )
    if pool is Pool.CHRONIC and inputs.chronic_code is not None:
        delta_chronic[inputs.chronic_code] = hifp_pay
    delta = Accumulators(
        year=inputs.settled_on.year,
        inpatient_hifp=hifp_pay if pool is Pool.INPATIENT else ZERO,
        inpatient_stays=1 if pool is Pool.INPATIENT else 0,
        outpatient_hifp=hifp_pay if pool is Pool.OUTPATIENT else ZERO,
        outpatient_deductible=act_pay_dedc if pool is Pool.OUTPATIENT else ZERO,
        hifob=hifob_pay,
        hifmi=hifmi_pay,
        burden=burden if not employee else ZERO,
        maf=maf_pay,
        chronic=delta_chronic,
    )
    return Breakdown(
        medfee_sumamt=t.medfee_sumamt,
        fulamt_ownpay_amt=t.fulamt_ownpay_amt,
        overlmt_selfpay=t.overlmt_selfpay,
        preselfpay_amt=t.preselfpay_amt,
        inscp_scp_amt=s,
        act_pay_dedc=act_pay_dedc,
        hifp_pay=hifp_pay,
        pool_prop_selfpay=ratio,
        hifob_pay=hifob_pay,
        hifmi_pay=hifmi_pay,
        cvlserv_pay=cvlserv_pay,
        maf_pay=maf_pay,
        oth_pay=oth_pay,
        fund_pay_sumamt=fund_pay_sumamt,
        psn_part_amt=psn_part_amt,
        acct_pay=acct_pay,
        psn_cash_pay=psn_cash_pay,
        balc=balc,
        details=details,
        trace=tuple(trace),
        delta=delta,
    )


def breakdown_violations(b: Breakdown) -> list[str]:
    """The identities of design §7; an empty list means the breakdown balances to the cent."""
    problems = []
    unbalanced = parts_violation(
        "medfee_sumamt",
        b.medfee_sumamt,
        b.fulamt_ownpay_amt,
        b.overlmt_selfpay,
        b.preselfpay_amt,
        b.inscp_scp_amt,
    )
    if unbalanced:
        problems.append(unbalanced)
    funds = b.hifp_pay + b.hifob_pay + b.hifmi_pay + b.cvlserv_pay + b.maf_pay + b.oth_pay
    if b.fund_pay_sumamt != funds:
        problems.append(f"fund_pay_sumamt {b.fund_pay_sumamt} 不等于各基金支付之和 {funds}")
    if b.psn_part_amt != b.medfee_sumamt - b.fund_pay_sumamt:
        problems.append(f"psn_part_amt {b.psn_part_amt} 不等于 medfee_sumamt − fund_pay_sumamt")
    if b.psn_part_amt != b.acct_pay + b.psn_cash_pay:
        problems.append(f"psn_part_amt {b.psn_part_amt} 不等于 acct_pay + psn_cash_pay")
    if sum((d.fund_payamt for d in b.details), ZERO) != b.fund_pay_sumamt:
        problems.append("setldetail 各项之和不等于 fund_pay_sumamt")
    for d in b.details:
        if d.fund_payamt > d.crt_payb_lmt_amt:
            problems.append(f"基金 {d.fund_pay_type} 支付 {d.fund_payamt} 超过其限额")
    amounts = {
        "act_pay_dedc": b.act_pay_dedc,
        "hifp_pay": b.hifp_pay,
        "hifob_pay": b.hifob_pay,
        "hifmi_pay": b.hifmi_pay,
        "cvlserv_pay": b.cvlserv_pay,
        "maf_pay": b.maf_pay,
        "acct_pay": b.acct_pay,
        "psn_cash_pay": b.psn_cash_pay,
        "balc": b.balc,
    }
    problems += [f"{k} 为负数（{v}）" for k, v in amounts.items() if v < 0]
    if b.fund_pay_sumamt > b.inscp_scp_amt:
        problems.append("基金支付超过政策范围内金额 inscp_scp_amt")
    cents = [v for v in (*amounts.values(), b.fund_pay_sumamt, b.psn_part_amt) if v != to_cents(v)]
    if cents:
        problems.append(f"金额未精确到分：{cents}")
    return problems
