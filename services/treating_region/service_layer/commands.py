"""What a hospital asks the treating region to do, once the gateway has read it (design §3).

The wire models (``entrypoints/schemas.py``) map themselves onto these; the use cases take only
these. Codes and identifiers keep their national names (``psn_no``, ``mdtrt_id``, ``med_type``,
``feedetl_sn``, the amounts the domain's ``Totals`` names so); what the wire spells as flags and
abbreviations gets an English name. Money is ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Relay:
    """Passed on to the insured region as sent: 1101 and the filings (2501–2504), whose
    contract the insured region reads."""

    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CumulativeQuery:
    """5206: a person's accumulators of one month's year."""

    psn_no: str
    year_month: str


@dataclass(frozen=True, slots=True)
class SignIn:
    """9001 签到."""

    operator_no: str
    mac: str | None
    ip: str | None


@dataclass(frozen=True, slots=True)
class SignOut:
    """9002 签退."""

    sign_no: str


@dataclass(frozen=True, slots=True)
class Register:
    """2401 admission (``inpatient``) or 2201 outpatient registration."""

    psn_no: str
    insutype: str
    med_type: str
    begins_at: datetime
    emergency: bool
    trauma: bool
    third_party: bool
    number: str
    """The hospital's admission (住院号) or outpatient (门诊号) number."""
    inpatient: bool
    as_sent: dict[str, Any]
    """The registration as the hospital sent it, kept with the visit."""


@dataclass(frozen=True, slots=True)
class VisitRef:
    """A visit of a person: 2404 cancel admission, 2405 cancel discharge."""

    mdtrt_id: str
    psn_no: str


@dataclass(frozen=True, slots=True)
class Discharge:
    """2402."""

    mdtrt_id: str
    psn_no: str
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class ChangeAdmission:
    """2403: only what is given changes."""

    mdtrt_id: str
    psn_no: str
    begins_at: datetime | None
    med_type: str | None
    number: str | None
    emergency: bool | None
    trauma: bool | None
    third_party: bool | None


@dataclass(frozen=True, slots=True)
class ChangeOutpatientVisit:
    """2203: the medical type always, the rest only when given."""

    mdtrt_id: str
    psn_no: str
    med_type: str
    chronic_disease: str | None
    """``opsp_dise_code``, the 门诊慢特病 the visit is for."""
    begins_at: datetime | None
    emergency: bool | None
    trauma: bool | None
    third_party: bool | None


@dataclass(frozen=True, slots=True)
class FeeLineIn:
    """One fee line as the hospital uploads it (a refund: negative ``cnt`` and ``refund_of``)."""

    feedetl_sn: str
    refund_of: str | None
    mdtrt_id: str
    psn_no: str
    med_list_codg: str
    hospital_code: str | None
    occurred_at: datetime | None
    amount: Decimal
    cnt: Decimal
    pric: Decimal
    category: str | None


@dataclass(frozen=True, slots=True)
class UploadLines:
    """2301 (inpatient) / 2204 (outpatient)."""

    lines: tuple[FeeLineIn, ...]
    inpatient: bool

    @property
    def mdtrt_id(self) -> str:
        return self.lines[0].mdtrt_id


@dataclass(frozen=True, slots=True)
class LineRef:
    feedetl_sn: str
    """``"0000"`` for every unsettled line of the visit."""
    mdtrt_id: str
    psn_no: str


@dataclass(frozen=True, slots=True)
class CancelLines:
    """2302 (inpatient) / 2205 (outpatient)."""

    lines: tuple[LineRef, ...]

    @property
    def mdtrt_id(self) -> str:
        return self.lines[0].mdtrt_id


@dataclass(frozen=True, slots=True)
class Settle:
    """2303/2206 pre-settle, 2304/2207 settle: the amounts are what the hospital computed, checked
    against the fee lines when given."""

    psn_no: str
    mdtrt_id: str
    insutype: str | None
    use_account: bool
    medfee_sumamt: Decimal
    fulamt_ownpay_amt: Decimal | None
    overlmt_selfpay: Decimal | None
    preselfpay_amt: Decimal | None
    inscp_scp_amt: Decimal | None


@dataclass(frozen=True, slots=True)
class CancelSettlement:
    """2305 (inpatient) / 2208 (outpatient)."""

    psn_no: str
    mdtrt_id: str
    setl_id: str


@dataclass(frozen=True, slots=True)
class Reverse:
    """2601 冲正 of the message ``omsgid`` (a ``oinfno`` transaction)."""

    psn_no: str
    omsgid: str
    oinfno: str
    mdtrt_id: str | None


@dataclass(frozen=True, slots=True)
class Period:
    """What a reconciliation covers: business days, and optionally one insured region
    (``setl_optins``), one insurance type, one clearing type."""

    begins: date
    ends: date
    insuplc_admdvs: str | None
    insutype: str | None
    clr_type: str | None


@dataclass(frozen=True, slots=True)
class ReconcileTotals:
    """3201 对总账: the hospital's totals for the period."""

    period: Period
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal
    settlements: int


@dataclass(frozen=True, slots=True)
class UploadFile:
    """9101 文件上传."""

    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class ReconcileDetails:
    """3202 对明细账: the period's settlements one by one, in the file uploaded under
    ``file_qury_no``."""

    period: Period
    file_qury_no: str


@dataclass(frozen=True, slots=True)
class DownloadFile:
    """9102 文件下载."""

    file_qury_no: str


@dataclass(frozen=True, slots=True)
class ClearingRows:
    """3260: the institution's rows in a month's clearing."""

    month: str


@dataclass(frozen=True, slots=True)
class ConfirmClearing:
    """3261: the institution confirms its rows of a month by their count and amount."""

    month: str
    entries: int
    amount: Decimal


Command = (
    Relay
    | CumulativeQuery
    | SignIn
    | SignOut
    | Register
    | VisitRef
    | Discharge
    | ChangeAdmission
    | ChangeOutpatientVisit
    | UploadLines
    | CancelLines
    | Settle
    | CancelSettlement
    | Reverse
    | ReconcileTotals
    | UploadFile
    | ReconcileDetails
    | DownloadFile
    | ClearingRows
    | ConfirmClearing
)


def visit_named(command: Command) -> str | None:
    """The ``mdtrt_id`` of the visit a command is about, if it names one."""
    mdtrt_id = getattr(command, "mdtrt_id", None)
    return mdtrt_id if isinstance(mdtrt_id, str) else None
