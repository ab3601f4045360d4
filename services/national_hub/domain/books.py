"""The hub's books (design §8): what each settlement reply that passed means for the money.

Pure: an answer in, bookings out. Every settlement, cancel and 2601 the insured region answers
passes the journal as a reply carrying ``setlinfo`` (docs/codes.md); each ``setl_id`` is booked
once — a settlement with its amounts, a cancel (or a settlement's 2601) as its negative mirror —
and a cancel undone by its 2601 is booked as the *void* of that mirror, so the books only ever
grow and replaying the journal books the same entries again, which the book id keeps single.

A booking's day is its settlement's business day in China (``setl_time``, the insured region's
clock): the day all three ledgers file it under for the daily reconciliation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from shared import infno
from shared.clock import CHINA_TZ
from shared.regions import province_of, route_between
from shared.settlement import setlinfo_violations

FUNDS = ("hifp_pay", "hifob_pay", "hifmi_pay", "cvlserv_pay", "maf_pay", "oth_pay")
"""The funds of a breakdown, each booked (docs/codes.md, setlinfo)."""
AMOUNTS = ("medfee_sumamt", "fund_pay_sumamt", *FUNDS, "acct_pay", "psn_cash_pay")
"""Every amount a booking keeps, in its column order."""


class EntryKind(StrEnum):
    SETTLEMENT = "settlement"
    CANCEL = "cancel"
    """A negative mirror: a cancel (2208/2305), or a settlement's 2601."""
    VOID = "void"
    """A cancel's mirror undone by the cancel's 2601: the mirror's amounts negated again."""


@dataclass(frozen=True, slots=True)
class Booking:
    """One settlement or mirror as the insured region answered it."""

    setl_id: str
    kind: EntryKind
    day: date
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    fixmedins_code: str | None
    psn_no: str
    mdtrt_id: str
    msgid: str
    infno: str
    insutype: str
    clr_type: str | None
    init_setl_id: str | None
    amounts: tuple[Decimal, ...]
    """In the order of ``AMOUNTS``."""

    @property
    def book_id(self) -> str:
        return self.setl_id

    def amount(self, name: str) -> Decimal:
        return self.amounts[AMOUNTS.index(name)]


@dataclass(frozen=True, slots=True)
class Void:
    """The cancel mirror ``setl_id`` undone: booked from the mirror the books already hold —
    only the mirror the same regions booked under the cancel ``omsgid`` the 2601 names."""

    setl_id: str
    msgid: str
    omsgid: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str

    @property
    def book_id(self) -> str:
        return void_id(self.setl_id)


def void_id(setl_id: str) -> str:
    return f"{setl_id}/void"


class Unbookable(ValueError):
    """A reply that claims a settlement the books cannot take (said, never booked)."""


def business_day(setl_time: str) -> date:
    """The China date of an ISO time (the insured region writes ``setl_time`` in UTC)."""
    return datetime.fromisoformat(setl_time).astimezone(CHINA_TZ).date()


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful reply of the insured region, as the journal read it."""

    infno: str
    msgid: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    fixmedins_code: str | None
    payload: dict[str, Any]


BOOKED_INFNOS = infno.SETTLE | infno.CANCEL | {infno.REVERSAL}
"""The answers that may carry a settlement: settle, cancel, 2601."""


def bookings_of(envelope: Answer) -> tuple[Booking | Void, ...]:
    """What an answer means for the books: nothing, unless it answers a settlement, a cancel or
    a 2601 and carries a settled ``setlinfo``.

    Raises:
        Unbookable: the answer carries a settlement that does not balance or cannot be read.
    """
    if envelope.infno not in BOOKED_INFNOS:
        return ()
    payload = envelope.payload
    out: list[Booking | Void] = []
    info = payload.get("setlinfo")
    if isinstance(info, dict) and info.get("setl_id"):
        out.append(_booking(envelope, info, payload.get("setldetail") or []))
    result = payload.get("result")
    if (
        envelope.infno == infno.REVERSAL
        and isinstance(result, dict)
        and result.get("reversed") == "cancel"
        and result.get("setl_id")
        and result.get("omsgid")
    ):
        out.append(
            Void(
                setl_id=str(result["setl_id"]),
                msgid=envelope.msgid,
                omsgid=str(result["omsgid"]),
                mdtrtarea_admvs=envelope.mdtrtarea_admvs,
                insuplc_admdvs=envelope.insuplc_admdvs,
            )
        )
    return tuple(out)


def minted_by(setl_id: str, insuplc_admdvs: str) -> bool:
    """A settlement id names the pool that minted it (``A`` + pool + YYMMDD + sequence,
    docs/codes.md): a region books only its own ids, never another's ahead of it."""
    return setl_id[1:7] == insuplc_admdvs


def _booking(envelope: Answer, info: dict[str, Any], detail: Any) -> Booking:
    setl_id = str(info["setl_id"])
    if not minted_by(setl_id, envelope.insuplc_admdvs):
        raise Unbookable(f"settlement {setl_id[:40]} is not an id of {envelope.insuplc_admdvs}")
    problems = setlinfo_violations(info, detail if isinstance(detail, list) else [])
    if problems:
        raise Unbookable(f"settlement {setl_id}: {'; '.join(problems)}")
    try:
        amounts = tuple(Decimal(str(info[name])) for name in AMOUNTS)
        day = business_day(str(info["setl_time"]))
        mirror = str(info.get("refd_setl_flag") or "0") == "1"
        return Booking(
            setl_id=setl_id,
            kind=EntryKind.CANCEL if mirror else EntryKind.SETTLEMENT,
            day=day,
            mdtrtarea_admvs=envelope.mdtrtarea_admvs,
            insuplc_admdvs=envelope.insuplc_admdvs,
            fixmedins_code=envelope.fixmedins_code,
            psn_no=str(info["psn_no"]),
            mdtrt_id=str(info["mdtrt_id"]),
            msgid=envelope.msgid,
            infno=envelope.infno,
            insutype=str(info["insutype"]),
            clr_type=str(info["clr_type"]) if info.get("clr_type") else None,
            init_setl_id=str(info["init_setl_id"]) if info.get("init_setl_id") else None,
            amounts=amounts,
        )
    except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
        raise Unbookable(f"settlement {setl_id}: {type(exc).__name__} {exc}") from exc


@dataclass(frozen=True, slots=True)
class ClearingParty:
    """Who pays whom for a booking (seed 003 第四十四条): across provinces, the insured province
    pays the treating one; within a province (内蒙古's pools), pool pays pool."""

    payer: str
    payee: str
    route: str


def clearing_party(mdtrtarea_admvs: str, insuplc_admdvs: str) -> ClearingParty | None:
    """None for care in one's own pool: nothing crosses a border, nothing is cleared."""
    if mdtrtarea_admvs == insuplc_admdvs:
        return None
    route = route_between(mdtrtarea_admvs, insuplc_admdvs)
    if route.value == "cross":
        return ClearingParty(province_of(insuplc_admdvs), province_of(mdtrtarea_admvs), "cross")
    return ClearingParty(insuplc_admdvs, mdtrtarea_admvs, "intra")
