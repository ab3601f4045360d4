"""Region policy files (TOML) → a checked, frozen ``RegionPolicy``; bad data stops start-up.

Every table of a file names its ``source``: a seed document, a lead (grade, year) from
``policy-leads.md``, or ``illustrative`` (the three forms: docs/policy-sources.md). Values outside
the 22号文 bounds are refused.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from services.insured_region.domain.policy import (
    Assistance,
    ChronicDisease,
    CriticalIllness,
    FilingRules,
    LargeAmount,
    PoolPolicy,
    PsnClass,
    RegionPolicy,
    Segment,
    bound_violations,
)
from shared.money import to_cents

POLICY_DIR = Path(__file__).resolve().parents[1] / "policies"

Share = Annotated[Decimal, Field(ge=0, le=1)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2), AfterValidator(to_cents)]
ByLevel = tuple[Amount, Amount, Amount]
RatioByLevel = tuple[Share, Share, Share]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Sourced(_Strict):
    source: str = Field(min_length=3, description="seed file, lead grade/year, or illustrative")


class ByClass(Sourced):
    employee_active: ByLevel
    employee_retired: ByLevel
    resident: ByLevel


class RatiosByClass(Sourced):
    employee_active: RatioByLevel
    employee_retired: RatioByLevel
    resident: RatioByLevel


class CapByClass(Sourced):
    employee_active: Amount
    employee_retired: Amount
    resident: Amount


class PoolFile(_Strict):
    deductible: ByClass
    ratio: RatiosByClass
    annual_cap: CapByClass
    later_stay_deductible_factor: Share = Decimal(1)


class ReductionFile(Sourced):
    """Percentage points cut from the ratio, by filing category (design §6 codes)."""

    long_term_resettled: Decimal = Field(default=Decimal(0), alias="11")
    long_term_resident: Decimal = Field(default=Decimal(0), alias="12")
    long_term_posted: Decimal = Field(default=Decimal(0), alias="13")
    referral: Decimal = Field(alias="21")
    emergency: Decimal = Field(alias="22")
    other_temporary: Decimal = Field(alias="23")

    def by_category(self) -> dict[str, Decimal]:
        return {
            "11": self.long_term_resettled,
            "12": self.long_term_resident,
            "13": self.long_term_posted,
            "21": self.referral,
            "22": self.emergency,
            "23": self.other_temporary,
        }


class SegmentFile(_Strict):
    upto: Amount | None = None
    ratio: Share


class CriticalIllnessFile(Sourced):
    threshold: Amount
    segments: list[SegmentFile] = Field(min_length=1)
    annual_cap: Amount


class LargeAmountFile(Sourced):
    ratio: Share
    annual_cap: Amount


class CivilServantFile(Sourced):
    ratio: Share


class AssistanceFile(Sourced):
    name: str
    ratio: Share
    annual_cap: Amount


class ChronicFile(Sourced):
    name: str
    employee_active: Share
    employee_retired: Share
    resident: Share
    annual_cap: Amount


class FilingFile(Sourced):
    long_term_min_months: int = Field(ge=0, le=120)
    long_term_lock_months: int = Field(ge=0, le=120)
    lock_waived_with_materials: bool = False
    temporary_min_months: int = Field(ge=0, le=120)
    temporary_max_months: int = Field(ge=0, le=120)
    temporary_default_months: int = Field(ge=0, le=120)
    no_filing_intra_province: bool = False
    no_filing_cross_outpatient: bool = False
    no_filing_outpatient_provinces: list[Annotated[str, Field(pattern=r"^\d{2}$")]] = []

    def to_domain(self) -> FilingRules:
        return FilingRules(
            long_term_min_months=self.long_term_min_months,
            long_term_lock_months=self.long_term_lock_months,
            lock_waived_with_materials=self.lock_waived_with_materials,
            temporary_min_months=self.temporary_min_months,
            temporary_max_months=self.temporary_max_months,
            temporary_default_months=self.temporary_default_months,
            no_filing_intra_province=self.no_filing_intra_province,
            no_filing_cross_outpatient=self.no_filing_cross_outpatient,
            no_filing_outpatient_provinces=tuple(self.no_filing_outpatient_provinces),
        )


class PolicyFile(_Strict):
    admdvs: str = Field(pattern=r"^\d{6}$")
    name: str
    inpatient: PoolFile
    outpatient: PoolFile
    reduction_pp: ReductionFile
    large_amount: LargeAmountFile
    critical_illness: CriticalIllnessFile
    civil_servant: CivilServantFile
    assistance: dict[str, AssistanceFile]
    chronic: dict[str, ChronicFile]
    filing: FilingFile

    def to_domain(self) -> RegionPolicy:
        def pool(p: PoolFile) -> PoolPolicy:
            return PoolPolicy(
                deductible={c: getattr(p.deductible, c.value) for c in PsnClass},
                ratio={c: getattr(p.ratio, c.value) for c in PsnClass},
                annual_cap={c: getattr(p.annual_cap, c.value) for c in PsnClass},
                later_stay_deductible_factor=p.later_stay_deductible_factor,
            )

        sources = {
            "inpatient.deductible": self.inpatient.deductible.source,
            "inpatient.ratio": self.inpatient.ratio.source,
            "inpatient.annual_cap": self.inpatient.annual_cap.source,
            "outpatient.deductible": self.outpatient.deductible.source,
            "outpatient.ratio": self.outpatient.ratio.source,
            "outpatient.annual_cap": self.outpatient.annual_cap.source,
            "reduction_pp": self.reduction_pp.source,
            "large_amount": self.large_amount.source,
            "critical_illness": self.critical_illness.source,
            "civil_servant": self.civil_servant.source,
            "filing": self.filing.source,
            **{f"assistance.{k}": v.source for k, v in self.assistance.items()},
            **{f"chronic.{k}": v.source for k, v in self.chronic.items()},
        }
        return RegionPolicy(
            admdvs=self.admdvs,
            name=self.name,
            inpatient=pool(self.inpatient),
            outpatient=pool(self.outpatient),
            reduction_pp=self.reduction_pp.by_category(),
            large_amount=LargeAmount(self.large_amount.ratio, self.large_amount.annual_cap),
            critical_illness=CriticalIllness(
                threshold=self.critical_illness.threshold,
                segments=tuple(Segment(s.upto, s.ratio) for s in self.critical_illness.segments),
                annual_cap=self.critical_illness.annual_cap,
            ),
            civil_servant_ratio=self.civil_servant.ratio,
            assistance={k: Assistance(v.ratio, v.annual_cap) for k, v in self.assistance.items()},
            chronic={
                code: ChronicDisease(
                    name=d.name,
                    ratio={c: getattr(d, c.value) for c in PsnClass},
                    annual_cap=d.annual_cap,
                )
                for code, d in self.chronic.items()
            },
            filing=self.filing.to_domain(),
            sources=sources,
        )


class PolicyError(ValueError):
    """A policy file that must not be used: the message names the file and every problem."""


def parse_policy(text: str, origin: str = "<policy>") -> RegionPolicy:
    try:
        # TOML floats would lose cents: every non-integer number is read as a Decimal
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{origin}: not TOML: {exc}") from exc
    try:
        parsed = PolicyFile.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(f"{origin}: {exc}") from exc
    policy = parsed.to_domain()
    problems = bound_violations(policy)
    if problems:
        raise PolicyError(f"{origin}: " + "; ".join(problems))
    return policy


def load_policies(directory: Path = POLICY_DIR) -> dict[str, RegionPolicy]:
    policies = {}
    for path in sorted(directory.glob("*.toml")):
        policy = parse_policy(path.read_text(encoding="utf-8"), str(path.name))
        if policy.admdvs in policies:
            raise PolicyError(f"{path.name}: a second policy for {policy.admdvs}")
        policies[policy.admdvs] = policy
    return policies
