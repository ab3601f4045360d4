"""A region's daily statement (日对账单) for the hub's three-way reconciliation (design §8): what
its ledger holds of one business day, settlement by settlement. The treating and the insured
region write it, the hub reads it; amounts travel as strings, as on the rest of the wire."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from shared.errors import E6001, RelayError
from shared.money import format_amount

FUNDS = ("hifp_pay", "hifob_pay", "hifmi_pay", "cvlserv_pay", "maf_pay", "oth_pay")


class StatementRow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    setl_id: str
    msgid: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    refd_setl_flag: str
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal
    hifp_pay: Decimal | None = None
    hifob_pay: Decimal | None = None
    hifmi_pay: Decimal | None = None
    cvlserv_pay: Decimal | None = None
    maf_pay: Decimal | None = None
    oth_pay: Decimal | None = None

    def funds(self) -> tuple[Decimal, ...] | None:
        values = tuple(getattr(self, name) for name in FUNDS)
        return None if any(v is None for v in values) else values


class DayStatement(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    day: date
    side: str
    settlements: list[StatementRow]
    open_msgids: list[str] = []
    """The treating region's settle, cancel and reversal messages whose outcome it does not
    know yet (a reply lost or still coming): an insured-only settlement under one of them is an
    unknown outcome, not a missing one."""


def row_of(record: dict[str, object]) -> dict[str, object]:
    """A ledger row as the statement writes it: amounts as strings with two decimals."""
    return {k: format_amount(v) if isinstance(v, Decimal) else v for k, v in record.items()}


def parse_day(text: str, today: date) -> date:
    """A reconciliation day as people write it (``2026-01-05``, ``20260105``, ``2026/01/05``),
    no later than the business ``today``; E6001 naming the field otherwise."""
    digits = text.strip().replace("-", "").replace("/", "")
    try:
        if len(digits) != 8 or not digits.isdigit():
            raise ValueError(text)
        day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise RelayError(
            E6001, detail=f"对账日期 {text[:20]!r} 应为年-月-日（如 2026-01-05）"
        ) from None
    if day > today:
        raise RelayError(E6001, detail=f"对账日期 {day} 晚于当前业务日期 {today}")
    return day
