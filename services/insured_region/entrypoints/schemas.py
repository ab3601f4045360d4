"""Wire shapes of the insured region: 1101 output and the admin API (national names)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.insured_region.domain.filing import FilingRequest
from services.insured_region.domain.person import (
    ChronicFiling,
    Filing,
    Person,
    age_on,
    person_from,
)
from services.insured_region.domain.policy import PoolPolicy, PsnClass, RegionPolicy
from shared.certificates import canonical_certno
from shared.money import format_amount
from shared.regions import POOLS


def person_info_output(person: Person, today: date) -> dict[str, Any]:
    """1101 output: ``baseinfo``, ``insuinfo[]``, ``idetinfo[]`` and the person's filings."""
    return {
        "baseinfo": {
            "psn_no": person.psn_no,
            "psn_cert_type": person.psn_cert_type,
            "certno": person.certno,
            "psn_name": person.psn_name,
            "gend": person.gend,
            "naty": person.naty,
            "brdy": person.brdy.isoformat(),
            "age": age_on(person.brdy, today),
        },
        "insuinfo": [
            {
                "balc": format_amount(i.balc),
                "insutype": i.insutype,
                "psn_type": i.psn_type,
                "psn_insu_stas": i.psn_insu_stas,
                "psn_insu_date": i.psn_insu_date.isoformat(),
                "paus_insu_date": None,
                "cvlserv_flag": "1" if i.cvlserv_flag else "0",
                "insuplc_admdvs": person.insuplc_admdvs,
                "emp_name": i.emp_name,
            }
            for i in person.insurances
        ],
        "idetinfo": [
            {
                "psn_idet_type": d.psn_idet_type,
                "psn_type_lv": None,
                "memo": None,
                "begntime": d.begntime.isoformat(),
                "endtime": d.endtime.isoformat() if d.endtime else None,
            }
            for d in person.identities
        ],
        "filinginfo": [filing_out(f) for f in person.filings],
        "chronic_filinginfo": [chronic_filing_out(c) for c in person.chronic_filings],
    }


class InsuranceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    insutype: str = Field(pattern=r"^(310|390)$")
    psn_type: str = Field(pattern=r"^1[1-6]$")
    psn_insu_stas: str = Field(default="1", pattern=r"^[0-4]$")
    psn_insu_date: date
    cvlserv_flag: bool = False
    balc: Decimal = Field(default=Decimal("0.00"), ge=0, max_digits=14, decimal_places=2)
    emp_name: str | None = Field(default=None, max_length=100)


class IdentityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    psn_idet_type: str = Field(min_length=1, max_length=6)
    begntime: date
    endtime: date | None = None


class PersonIn(BaseModel):
    """Create an insured person (what the insured region's enrolment desk would do)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    psn_no: str = Field(
        pattern=r"^\d{6}[0-9A-Za-z]{1,24}$", description="人员编号, starts with admdvs"
    )
    insuplc_admdvs: str = Field(pattern=r"^\d{6}$")
    psn_cert_type: str = Field(default="01", pattern=r"^\d{2}$")
    certno: Annotated[str, AfterValidator(canonical_certno)] = Field(min_length=6, max_length=30)
    psn_name: str = Field(min_length=1, max_length=50)
    gend: str = Field(pattern=r"^[129]$")
    naty: str = Field(default="01", pattern=r"^\d{2}$")
    brdy: date
    insurances: list[InsuranceIn] = Field(min_length=1, max_length=2)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=5)

    def to_domain(self) -> Person:
        if self.insuplc_admdvs not in POOLS:
            raise ValueError(f"insuplc_admdvs {self.insuplc_admdvs} is not a pool of the scenario")
        return person_from(self)


class FilingIn(BaseModel):
    """A filing as the national app or the counter submits it (design §6 categories)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: str = Field(
        pattern=r"^(1[1-3]|2[1-3])$",
        description="11/12/13 long-term, 21 referral, 22 emergency, 23 other",
    )
    dest_admdvs: str = Field(
        pattern=r"^\d{6}$", description="就医地; a province code covers it all"
    )
    begndate: date
    enddate: date | None = None
    commitment: bool = True
    materials_complete: bool = False

    def to_domain(self) -> FilingRequest:
        return FilingRequest(
            self.category,
            self.dest_admdvs,
            self.begndate,
            self.enddate,
            self.commitment,
            self.materials_complete,
        )


class ChronicFilingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    opsp_dise_code: str = Field(min_length=1, max_length=10)
    begndate: date
    enddate: date | None = None


def filing_out(f: Filing) -> dict[str, Any]:
    return {
        "filing_id": f.filing_id,
        "category": f.category,
        "dest_admdvs": f.dest_admdvs,
        "begndate": f.begndate.isoformat(),
        "enddate": f.enddate.isoformat() if f.enddate else None,
        "status": f.status,
        "commitment": f.commitment,
        "materials_complete": f.materials_complete,
    }


def chronic_filing_out(c: ChronicFiling) -> dict[str, Any]:
    return {
        "filing_id": c.filing_id,
        "opsp_dise_code": c.opsp_dise_code,
        "begndate": c.begndate.isoformat(),
        "enddate": c.enddate.isoformat() if c.enddate else None,
        "status": c.status,
    }


def filings_out(person: Person) -> dict[str, Any]:
    return {
        "psn_no": person.psn_no,
        "filings": [filing_out(f) for f in person.filings],
        "chronic_filings": [chronic_filing_out(c) for c in person.chronic_filings],
    }


def policy_out(policy: RegionPolicy) -> dict[str, Any]:
    """The policy as JSON: amounts as 2-decimal strings, shares as decimal strings, sources."""

    def pool(p: PoolPolicy) -> dict[str, Any]:
        return {
            "deductible": {c.value: [format_amount(a) for a in p.deductible[c]] for c in PsnClass},
            "ratio": {c.value: [str(r) for r in p.ratio[c]] for c in PsnClass},
            "annual_cap": {c.value: format_amount(p.annual_cap[c]) for c in PsnClass},
            "later_stay_deductible_factor": str(p.later_stay_deductible_factor),
        }

    ci = policy.critical_illness
    return {
        "admdvs": policy.admdvs,
        "name": policy.name,
        "inpatient": pool(policy.inpatient),
        "outpatient": pool(policy.outpatient),
        "reduction_pp": {k: str(v) for k, v in policy.reduction_pp.items()},
        "large_amount": {
            "ratio": str(policy.large_amount.ratio),
            "annual_cap": format_amount(policy.large_amount.annual_cap),
        },
        "critical_illness": {
            "threshold": format_amount(ci.threshold),
            "segments": [
                {
                    "upto": format_amount(s.upto) if s.upto is not None else None,
                    "ratio": str(s.ratio),
                }
                for s in ci.segments
            ],
            "annual_cap": format_amount(ci.annual_cap),
        },
        "civil_servant_ratio": str(policy.civil_servant_ratio),
        "assistance": {
            k: {"ratio": str(a.ratio), "annual_cap": format_amount(a.annual_cap)}
            for k, a in policy.assistance.items()
        },
        "chronic": {
            code: {
                "name": d.name,
                "ratio": {c.value: str(d.ratio[c]) for c in PsnClass},
                "annual_cap": format_amount(d.annual_cap),
            }
            for code, d in policy.chronic.items()
        },
        "filing": {
            "long_term_min_months": policy.filing.long_term_min_months,
            "long_term_lock_months": policy.filing.long_term_lock_months,
            "lock_waived_with_materials": policy.filing.lock_waived_with_materials,
            "temporary_min_months": policy.filing.temporary_min_months,
            "temporary_max_months": policy.filing.temporary_max_months,
            "temporary_default_months": policy.filing.temporary_default_months,
            "no_filing_intra_province": policy.filing.no_filing_intra_province,
            "no_filing_cross_outpatient": policy.filing.no_filing_cross_outpatient,
            "no_filing_outpatient_provinces": list(policy.filing.no_filing_outpatient_provinces),
        },
        "sources": dict(policy.sources),
    }


def person_out(person: Person, today: date) -> dict[str, Any]:
    return {"insuplc_admdvs": person.insuplc_admdvs, **person_info_output(person, today)}
