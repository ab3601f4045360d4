"""Insured persons as the insured region knows them, and the 1101 identity check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from shared.errors import E1001, E1002, RelayError


@dataclass(frozen=True, slots=True)
class Insurance:
    insutype: str
    """310 职工基本医疗保险 · 390 城乡居民基本医疗保险."""
    psn_type: str
    """11 在职 · 12 退休 · 14/15/16 居民."""
    psn_insu_stas: str
    """1 正常 · 2 暂停 · 3 无效 · 4 终止 (docs/codes.md)."""
    psn_insu_date: date
    cvlserv_flag: bool
    balc: Decimal
    """Personal-account balance (个人账户余额); a 2-decimal string on the wire."""
    emp_name: str | None


@dataclass(frozen=True, slots=True)
class Identity:
    psn_idet_type: str
    """Assistance identity, e.g. 低保 / 特困 (simulation codes in the population module)."""
    begntime: date
    endtime: date | None


@dataclass(frozen=True, slots=True)
class Filing:
    filing_id: str
    category: str
    """11 异地安置退休 · 12 异地长期居住 · 13 常驻异地工作 · 21 转诊 · 22 急诊抢救 · 23 其他临时."""
    dest_admdvs: str
    begndate: date
    enddate: date | None
    status: str
    commitment: bool = True
    """承诺制: filed on the person's word, materials to follow."""
    materials_complete: bool = False


@dataclass(frozen=True, slots=True)
class ChronicFiling:
    """门诊慢特病备案 (2503): a disease the person may settle as med_type 14."""

    filing_id: str
    opsp_dise_code: str
    begndate: date
    enddate: date | None
    status: str

    def covers(self, code: str, on: date) -> bool:
        return (
            self.status == "active"
            and self.opsp_dise_code == code
            and self.begndate <= on
            and (self.enddate is None or on <= self.enddate)
        )


@dataclass(frozen=True, slots=True)
class Person:
    psn_no: str
    insuplc_admdvs: str
    psn_cert_type: str
    certno: str
    psn_name: str
    gend: str
    naty: str
    brdy: date
    insurances: tuple[Insurance, ...] = ()
    identities: tuple[Identity, ...] = ()
    filings: tuple[Filing, ...] = ()
    chronic_filings: tuple[ChronicFiling, ...] = ()


class InsuranceFields(Protocol):
    """An insurance spelled with the domain's names: an ORM row or an admin-API model."""

    @property
    def insutype(self) -> str: ...
    @property
    def psn_type(self) -> str: ...
    @property
    def psn_insu_stas(self) -> str: ...
    @property
    def psn_insu_date(self) -> date: ...
    @property
    def cvlserv_flag(self) -> bool: ...
    @property
    def balc(self) -> Decimal: ...
    @property
    def emp_name(self) -> str | None: ...


class IdentityFields(Protocol):
    @property
    def psn_idet_type(self) -> str: ...
    @property
    def begntime(self) -> date: ...
    @property
    def endtime(self) -> date | None: ...


class PersonFields(Protocol):
    """A person spelled with the domain's names, with its insurances and identities."""

    @property
    def psn_no(self) -> str: ...
    @property
    def insuplc_admdvs(self) -> str: ...
    @property
    def psn_cert_type(self) -> str: ...
    @property
    def certno(self) -> str: ...
    @property
    def psn_name(self) -> str: ...
    @property
    def gend(self) -> str: ...
    @property
    def naty(self) -> str: ...
    @property
    def brdy(self) -> date: ...
    @property
    def insurances(self) -> Iterable[InsuranceFields]: ...
    @property
    def identities(self) -> Iterable[IdentityFields]: ...


def insurance_from(i: InsuranceFields) -> Insurance:
    return Insurance(
        insutype=i.insutype,
        psn_type=i.psn_type,
        psn_insu_stas=i.psn_insu_stas,
        psn_insu_date=i.psn_insu_date,
        cvlserv_flag=i.cvlserv_flag,
        balc=i.balc,
        emp_name=i.emp_name,
    )


def person_from(
    p: PersonFields,
    *,
    filings: Iterable[Filing] = (),
    chronic_filings: Iterable[ChronicFiling] = (),
) -> Person:
    """The one builder of a ``Person`` from anything that uses its names (the database's rows,
    the enrolment request); filings are mapped by their own owner and passed in."""
    return Person(
        psn_no=p.psn_no,
        insuplc_admdvs=p.insuplc_admdvs,
        psn_cert_type=p.psn_cert_type,
        certno=p.certno,
        psn_name=p.psn_name,
        gend=p.gend,
        naty=p.naty,
        brdy=p.brdy,
        insurances=tuple(insurance_from(i) for i in p.insurances),
        identities=tuple(Identity(d.psn_idet_type, d.begntime, d.endtime) for d in p.identities),
        filings=tuple(filings),
        chronic_filings=tuple(chronic_filings),
    )


def age_on(brdy: date, today: date) -> int:
    return today.year - brdy.year - ((today.month, today.day) < (brdy.month, brdy.day))


def check_identity(person: Person | None, *, certno: str, psn_name: str | None) -> Person:
    """1101: the certificate must be known here, and a given name must match it."""
    if person is None:
        raise RelayError(E1001, detail=f"certno {certno[:6]}…")
    if psn_name and psn_name != person.psn_name:
        raise RelayError(E1002)
    return person
