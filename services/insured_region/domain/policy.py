"""A region's policy (参保地政策) as frozen data: what its files say, checked at load (design §7).

22号文: the insured region's deductible, ratio and cap apply wherever the person is treated;
long-term residents keep the home standard; temporary travellers may be cut, referral and
emergency by at most 10 pp, other temporary by at most 20 pp.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from shared.errors import E4005, RelayError


class PsnClass(StrEnum):
    EMPLOYEE_ACTIVE = "employee_active"
    EMPLOYEE_RETIRED = "employee_retired"
    RESIDENT = "resident"


def psn_class_of(insutype: str, psn_type: str) -> PsnClass:
    """310 employees split by 在职 (11) / 退休 and 离休 (12, 13); 390 are residents."""
    if insutype == "390":
        return PsnClass.RESIDENT
    return PsnClass.EMPLOYEE_ACTIVE if psn_type == "11" else PsnClass.EMPLOYEE_RETIRED


class Pool(StrEnum):
    """Which fund pool and accumulators a med_type draws on."""

    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"
    CHRONIC = "chronic"


INPATIENT_MED_TYPES = frozenset({"21", "22", "23", "24", "25", "26", "28", "52"})
CHRONIC_MED_TYPES = frozenset({"14"})
OUTPATIENT_MED_TYPES = frozenset({"11", "12", "13", "15", "16", "41", "51"})
EMERGENCY_MED_TYPES = frozenset({"13", "24"})


def pool_of(med_type: str) -> Pool:
    if med_type in INPATIENT_MED_TYPES:
        return Pool.INPATIENT
    if med_type in CHRONIC_MED_TYPES:
        return Pool.CHRONIC
    if med_type in OUTPATIENT_MED_TYPES:
        return Pool.OUTPATIENT
    raise ValueError(f"医疗类别 med_type {med_type} 不在异地直接结算范围内")


LONG_TERM_CATEGORIES = frozenset({"11", "12", "13"})
EMERGENCY_CATEGORY = "22"
"""异地急诊抢救: the category an emergency without a filing counts as (视同已备案, design §6)."""
REFERRAL_OR_EMERGENCY = frozenset({"21", EMERGENCY_CATEGORY})
OTHER_TEMPORARY = frozenset({"23"})
FILING_CATEGORIES = LONG_TERM_CATEGORIES | REFERRAL_OR_EMERGENCY | OTHER_TEMPORARY

# 22号文 (seed 002): referral/emergency cut ≤ 10 pp, other temporary ≤ 20 pp, long-term none
MAX_REDUCTION_PP = {
    **dict.fromkeys(LONG_TERM_CATEGORIES, Decimal(0)),
    **dict.fromkeys(REFERRAL_OR_EMERGENCY, Decimal(10)),
    **dict.fromkeys(OTHER_TEMPORARY, Decimal(20)),
}


@dataclass(frozen=True, slots=True)
class PoolPolicy:
    """Deductible, ratio and annual cap of one pool, by person class (and level for ratios)."""

    deductible: Mapping[PsnClass, tuple[Decimal, Decimal, Decimal]]
    """By hospital level 1/2/3; inpatient: per stay; outpatient: per year (level ignored)."""
    ratio: Mapping[PsnClass, tuple[Decimal, Decimal, Decimal]]
    annual_cap: Mapping[PsnClass, Decimal]
    later_stay_deductible_factor: Decimal = Decimal(1)
    """Inpatient only: the deductible of the 2nd and later stays of a year, as a share."""


@dataclass(frozen=True, slots=True)
class Segment:
    upto: Decimal | None
    """Upper end, measured above the threshold; None for the last, open segment."""
    ratio: Decimal


@dataclass(frozen=True, slots=True)
class CriticalIllness:
    """城乡居民大病保险 (390200): pays segments of the year's in-scope burden above a threshold."""

    threshold: Decimal
    segments: tuple[Segment, ...]
    annual_cap: Decimal


@dataclass(frozen=True, slots=True)
class LargeAmount:
    """职工大额医疗费用补助 (330100): pays a share of what the basic fund's cap left unpaid."""

    ratio: Decimal
    annual_cap: Decimal


@dataclass(frozen=True, slots=True)
class Assistance:
    """医疗救助 (610100) for one identity."""

    ratio: Decimal
    annual_cap: Decimal


@dataclass(frozen=True, slots=True)
class ChronicDisease:
    name: str
    ratio: Mapping[PsnClass, Decimal]
    annual_cap: Decimal


@dataclass(frozen=True, slots=True)
class FilingRules:
    """One insured region's filing rules, from its policy file."""

    long_term_min_months: int
    """A long-term filing with an end date lasts at least this long (内蒙古: 3)."""
    long_term_lock_months: int
    """No change or cancel this soon after the start (乌鲁木齐: 6; 内蒙古 commitment: 3)."""
    lock_waived_with_materials: bool
    """内蒙古: a commitment filing changes earlier once the materials are complete."""
    temporary_min_months: int
    temporary_max_months: int
    temporary_default_months: int
    no_filing_intra_province: bool
    """内蒙古细则 第十条: care inside the region needs no filing."""
    no_filing_cross_outpatient: bool
    """内蒙古细则 第十条: cross-province outpatient and pharmacy need no filing."""
    no_filing_outpatient_provinces: tuple[str, ...]
    """天津 京津冀 pilot: ordinary outpatient care in these provinces needs no filing."""


@dataclass(frozen=True, slots=True)
class RegionPolicy:
    admdvs: str
    name: str
    inpatient: PoolPolicy
    outpatient: PoolPolicy
    reduction_pp: Mapping[str, Decimal]
    large_amount: LargeAmount
    critical_illness: CriticalIllness
    civil_servant_ratio: Decimal
    assistance: Mapping[str, Assistance]
    chronic: Mapping[str, ChronicDisease]
    filing: FilingRules
    sources: Mapping[str, str] = field(default_factory=dict)
    """Where each part comes from: a seed document, a lead (grade, year) or ``illustrative``."""

    def reduction_for(self, category: str | None) -> Decimal:
        return self.reduction_pp.get(category, Decimal(0)) if category else Decimal(0)


def policy_for(policies: Mapping[str, RegionPolicy], admdvs: str) -> RegionPolicy:
    """The policy in force for an insured region; E4005 where the region has none here."""
    policy = policies.get(admdvs)
    if policy is None:
        raise RelayError(E4005, detail=f"本平台未配置参保地 {admdvs} 的医保政策")
    return policy


def bound_violations(policy: RegionPolicy) -> list[str]:
    """What a policy file may not say; the loader refuses a file with any (22号文 bounds)."""
    problems = []
    for category, pp in policy.reduction_pp.items():
        if category not in MAX_REDUCTION_PP:
            problems.append(f"reduction for unknown filing category {category}")
        elif not Decimal(0) <= pp <= MAX_REDUCTION_PP[category]:
            problems.append(
                f"reduction {pp} pp for category {category} outside 0..{MAX_REDUCTION_PP[category]}"
                " (22号文)"
            )
    for pool_name, pool in (("inpatient", policy.inpatient), ("outpatient", policy.outpatient)):
        for psn_class, ratios in pool.ratio.items():
            for level, ratio in enumerate(ratios, 1):
                if not Decimal(0) < ratio <= Decimal(1):
                    problems.append(f"{pool_name} ratio {ratio} for {psn_class} level {level}")
                worst_cut = max(policy.reduction_pp.values(), default=Decimal(0)) / 100
                if ratio - worst_cut < 0:
                    problems.append(f"{pool_name} ratio {ratio} minus the largest cut is negative")
        for psn_class, amounts in pool.deductible.items():
            if any(a < 0 for a in amounts):
                problems.append(f"{pool_name} negative deductible for {psn_class}")
        for psn_class, cap in pool.annual_cap.items():
            if cap < 0:
                problems.append(f"{pool_name} negative cap for {psn_class}")
        missing = set(PsnClass) - set(pool.ratio) | set(PsnClass) - set(pool.deductible)
        missing |= set(PsnClass) - set(pool.annual_cap)
        if missing:
            problems.append(f"{pool_name} lacks {sorted(missing)}")
    shares = [
        ("large_amount.ratio", policy.large_amount.ratio),
        ("civil_servant_ratio", policy.civil_servant_ratio),
        *((f"assistance.{k}.ratio", a.ratio) for k, a in policy.assistance.items()),
        *(
            (f"critical_illness segment {i}", s.ratio)
            for i, s in enumerate(policy.critical_illness.segments)
        ),
        *(
            (f"chronic.{code}.{c}", r)
            for code, d in policy.chronic.items()
            for c, r in d.ratio.items()
        ),
    ]
    problems += [
        f"{name} = {value} is not a share in 0..1"
        for name, value in shares
        if not Decimal(0) <= value <= Decimal(1)
    ]
    rules = policy.filing
    if rules.temporary_min_months < 6:
        # 22号文: a temporary filing is valid for at least 6 months
        problems.append("filing: temporary filings must last at least 6 months (22号文)")
    if (
        not rules.temporary_min_months
        <= rules.temporary_default_months
        <= (rules.temporary_max_months)
    ):
        problems.append("filing: temporary default outside its minimum and maximum")
    if rules.long_term_min_months < 0 or rules.long_term_lock_months < 0:
        problems.append("filing: negative months")
    segments = policy.critical_illness.segments
    if not segments or segments[-1].upto is not None:
        problems.append("critical_illness segments must end with an open segment")
    bounds = [s.upto for s in segments[:-1]]
    if any(b is None for b in bounds) or bounds != sorted(bounds):  # type: ignore[type-var]
        problems.append("critical_illness segments must rise")
    return problems
