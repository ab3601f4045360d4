"""Insured persons as the insured region knows them, and the 1101 identity check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
    balc: str
    """Personal-account balance, as a 2-decimal string (Decimal at the edges)."""
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


def age_on(brdy: date, today: date) -> int:
    return today.year - brdy.year - ((today.month, today.day) < (brdy.month, brdy.day))


def check_identity(person: Person | None, *, certno: str, psn_name: str | None) -> Person:
    """1101: the certificate must be known here, and a given name must match it."""
    if person is None:
        raise RelayError(E1001, detail=f"certno {certno[:6]}…")
    if psn_name and psn_name != person.psn_name:
        raise RelayError(E1002)
    return person
