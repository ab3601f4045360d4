"""The contract between treating and insured region, as it travels over the relay: registration,
settlement, cancel, cumulative query and reversal payloads. The treating region builds them, the
insured region parses the same classes.

The treating region sends what it knows of the care and the split bill (design §2, §5); the insured
region answers with ``setlinfo`` + ``setldetail[]`` (docs/codes.md). Amounts travel as strings.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from shared import infno
from shared.envelope import OPAQUE_KEY
from shared.money import MAX_AMOUNT, parse_amount, parts_violation


def _amount(value: Any) -> Decimal:
    return parse_amount(value)


Amount = Annotated[Decimal, BeforeValidator(_amount)]
Flag = Annotated[bool, BeforeValidator(lambda v: str(v).strip() in ("1", "true", "True"))]


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class CategoryTotal(_Tolerant):
    """One of the 14 national fee categories (design §5) with its four split amounts."""

    med_chrgitm_type: str = Field(pattern=r"^(0[1-9]|1[0-4])$")
    det_item_fee_sumamt: Amount
    fulamt_ownpay_amt: Amount
    overlmt_amt: Amount
    preselfpay_amt: Amount
    inscp_scp_amt: Amount


class SplitLine(_Tolerant):
    """An outpatient fee line as the treating region split it."""

    feedetl_sn: str
    med_chrgitm_type: str = Field(pattern=r"^(0[1-9]|1[0-4])$")
    det_item_fee_sumamt: Amount
    fulamt_ownpay_amt: Amount
    overlmt_amt: Amount
    preselfpay_amt: Amount
    inscp_scp_amt: Amount


class SettlementPayload(_Tolerant):
    """2303/2304 (inpatient, category totals) and 2206/2207 (outpatient, split lines)."""

    psn_no: str = Field(min_length=1, max_length=30)
    insutype: str = Field(pattern=r"^(310|390)$")
    mdtrt_id: str | None = None
    med_type: str = Field(pattern=r"^\d{2}$")
    medins_lv: int = Field(ge=1, le=3, description="hospital level 1/2/3")
    begntime: date = Field(description="admission or visit date")
    endtime: date = Field(description="discharge date; an inpatient stay settles on its year")
    emergency: Flag = False
    trum_flag: Flag = False
    rel_ttp_flag: Flag = False
    acct_used_flag: Flag = False
    opsp_dise_code: str | None = None
    medfee_sumamt: Amount
    fulamt_ownpay_amt: Amount
    overlmt_selfpay: Amount
    preselfpay_amt: Amount
    inscp_scp_amt: Amount
    categories: tuple[CategoryTotal, ...] = ()
    lines: tuple[SplitLine, ...] = ()

    @field_validator("begntime", "endtime", mode="before")
    @classmethod
    def _date_part(cls, value: Any) -> Any:
        """Accept ``yyyy-MM-dd HH:mm:ss`` as the national wire writes times."""
        return value[:10] if isinstance(value, str) else value


def _date_part(value: Any) -> Any:
    """Accept ``yyyy-MM-dd HH:mm:ss`` as the national wire writes times."""
    return value[:10] if isinstance(value, str) else value


class RegistrationPayload(_Tolerant):
    """2401/2201: may this person be treated here on direct settlement? (design §6)"""

    psn_no: str = Field(min_length=1, max_length=30)
    insutype: str = Field(pattern=r"^(310|390)$")
    med_type: str = Field(pattern=r"^\d{2}$")
    begntime: Annotated[date, BeforeValidator(_date_part)] = Field(
        description="admission or visit date"
    )
    emergency: Flag = False
    trum_flag: Flag = False
    rel_ttp_flag: Flag = False
    medins_lv: int | None = Field(default=None, ge=1, le=3, description="hospital level 1/2/3")


class CancelPayload(_Tolerant):
    """2305/2208: cancel one settlement of one person."""

    psn_no: str = Field(min_length=1, max_length=30)
    setl_id: str = Field(min_length=1, max_length=30)
    mdtrt_id: str | None = None


class CumulativePayload(_Tolerant):
    """5206: a person's accumulators of one year (``cum_ym`` yyyyMM, national name)."""

    psn_no: str = Field(min_length=1, max_length=30)
    cum_ym: str = Field(pattern=r"^\d{6}$")


_SETLINFO_AMOUNTS = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
    "hifp_pay", "hifob_pay", "hifmi_pay", "cvlserv_pay", "maf_pay", "oth_pay",
    "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay",
)  # fmt: skip


def setlinfo_violations(setlinfo: dict[str, Any], setldetail: list[dict[str, Any]]) -> list[str]:
    """The identities of design §7 checked on a breakdown as it came over the wire.

    Args:
        setlinfo: the ``setlinfo`` object, amounts as strings.
        setldetail: the ``setldetail`` rows.

    Returns:
        One line per broken identity; empty when the breakdown balances to the cent.
    """
    try:
        a = {name: Decimal(str(setlinfo[name])) for name in _SETLINFO_AMOUNTS}
        details = [Decimal(str(d["fund_payamt"])) for d in setldetail]
        if not all(v.is_finite() and abs(v) < MAX_AMOUNT for v in (*a.values(), *details)):
            return ["an amount is not a finite sum of money"]
        detail_sum = sum(details, Decimal(0))
    except (KeyError, ArithmeticError, TypeError) as exc:
        return [f"unreadable breakdown: {exc!r}"]
    problems = []
    unbalanced = parts_violation(
        "medfee_sumamt",
        a["medfee_sumamt"],
        a["fulamt_ownpay_amt"],
        a["overlmt_selfpay"],
        a["preselfpay_amt"],
        a["inscp_scp_amt"],
    )
    if unbalanced:
        problems.append(unbalanced)
    funds = a["hifp_pay"] + a["hifob_pay"] + a["hifmi_pay"] + a["cvlserv_pay"] + a["maf_pay"]
    if a["fund_pay_sumamt"] != funds + a["oth_pay"]:
        problems.append("fund_pay_sumamt ≠ Σ funds")
    if a["psn_part_amt"] != a["medfee_sumamt"] - a["fund_pay_sumamt"]:
        problems.append("psn_part ≠ medfee − fund_pay_sumamt")
    if a["psn_part_amt"] != a["acct_pay"] + a["psn_cash_pay"]:
        problems.append("psn_part ≠ acct_pay + psn_cash_pay")
    if detail_sum != a["fund_pay_sumamt"]:
        problems.append("Σ setldetail ≠ fund_pay_sumamt")
    if any(v != v.quantize(Decimal("0.01")) for v in a.values()):
        problems.append("an amount is not in whole cents")
    return problems


REVERSED_ELSEWHERE = infno.REVERSIBLE - infno.UPLOAD
"""The originals whose 2601 travels to the insured region (an upload's stays at the treating)."""


class ReversalPayload(_Tolerant):
    """2601 冲正: which message to undo (``omsgid``, ``oinfno``) of which person."""

    psn_no: str = Field(min_length=1, max_length=30)
    omsgid: str = Field(pattern=OPAQUE_KEY)
    oinfno: str = Field(pattern=f"^({'|'.join(sorted(REVERSED_ELSEWHERE))})$")
