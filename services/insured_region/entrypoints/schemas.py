"""Wire shapes of the insured region: 1101 output and the admin API (national names)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.insured_region.domain.person import Identity, Insurance, Person, age_on
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
                "balc": i.balc,
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
        "filinginfo": [
            {
                "filing_id": f.filing_id,
                "category": f.category,
                "dest_admdvs": f.dest_admdvs,
                "begndate": f.begndate.isoformat(),
                "enddate": f.enddate.isoformat() if f.enddate else None,
                "status": f.status,
            }
            for f in person.filings
        ],
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
    certno: str = Field(min_length=6, max_length=30)
    psn_name: str = Field(min_length=1, max_length=50)
    gend: str = Field(pattern=r"^[129]$")
    naty: str = Field(default="01", pattern=r"^\d{2}$")
    brdy: date
    insurances: list[InsuranceIn] = Field(min_length=1, max_length=2)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=5)

    def to_domain(self) -> Person:
        if self.insuplc_admdvs not in POOLS:
            raise ValueError(f"insuplc_admdvs {self.insuplc_admdvs} is not a pool of the scenario")
        return Person(
            psn_no=self.psn_no,
            insuplc_admdvs=self.insuplc_admdvs,
            psn_cert_type=self.psn_cert_type,
            certno=self.certno,
            psn_name=self.psn_name,
            gend=self.gend,
            naty=self.naty,
            brdy=self.brdy,
            insurances=tuple(
                Insurance(
                    insutype=i.insutype,
                    psn_type=i.psn_type,
                    psn_insu_stas=i.psn_insu_stas,
                    psn_insu_date=i.psn_insu_date,
                    cvlserv_flag=i.cvlserv_flag,
                    balc=format_amount(i.balc),
                    emp_name=i.emp_name,
                )
                for i in self.insurances
            ),
            identities=tuple(
                Identity(d.psn_idet_type, d.begntime, d.endtime) for d in self.identities
            ),
        )


def person_out(person: Person, today: date) -> dict[str, Any]:
    return {"insuplc_admdvs": person.insuplc_admdvs, **person_info_output(person, today)}
