"""Daily three-way reconciliation (日对账, seed 003 第三十八条; design §8): per day and region pair,
the treating ledger, the hub's books and the insured ledger compared, settlement by settlement.

Pure: three lists of what each side holds for the day in, the report out. Each side gives its
net per ``setl_id`` (a settlement, or a cancel's negative mirror); a mirror undone by its 2601
nets to nothing at the hub, as it is gone from the regions' ledgers. A break names its
settlement, its category and what resolves it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.national_hub.domain.books import Booking, EntryKind, Void

COMPARED = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")
"""What is counted and summed per side (design §8)."""
FUNDS = ("hifp_pay", "hifob_pay", "hifmi_pay", "cvlserv_pay", "maf_pay", "oth_pay")


@dataclass(frozen=True, slots=True)
class Held:
    """What one side holds of one settlement on the day."""

    setl_id: str
    msgid: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal
    funds: tuple[Decimal, ...] | None = None
    """Each fund in the order of ``FUNDS``, where the side keeps them."""


class Category(StrEnum):
    AMOUNT = "amount_mismatch"
    FUND = "fund_mismatch"
    TREATING_ONLY = "treating_only"
    INSURED_ONLY = "insured_only"
    HUB_ONLY = "hub_only"
    HUB_MISSING = "hub_missing"
    UNKNOWN = "outcome_unknown"


RESOLUTION = {
    Category.AMOUNT: "以参保地结算结果为准，就医地核对该笔费用总额与个人账户支付后更正本地账",
    Category.FUND: "以参保地结算结果为准，就医地按参保地回传的基金分项更正本地账",
    Category.TREATING_ONLY: "参保地无此结算：就医地核实后冲正（2601）或撤销该笔结算",
    Category.INSURED_ONLY: "就医地无此结算：参保地核实后由就医地补记，或参保地冲正该笔结算",
    Category.HUB_ONLY: "两地均无此结算：核查报文流水，确认后由平台核销",
    Category.HUB_MISSING: "平台账缺此结算：待平台日志追平后重新对账",
    Category.UNKNOWN: "就医地该笔结果未知：医院查询结果或发起冲正（2601），结果记录后重新对账",
}
"""What resolves each break, in words an insurance office clerk acts on."""


@dataclass(frozen=True, slots=True)
class Break:
    setl_id: str
    msgid: str
    category: Category
    detail: str

    @property
    def resolution(self) -> str:
        return RESOLUTION[self.category]


@dataclass(frozen=True, slots=True)
class Totals:
    count: int
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal


@dataclass(frozen=True, slots=True)
class PairReport:
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    treating: Totals
    hub: Totals
    insured: Totals
    breaks: tuple[Break, ...]

    @property
    def balanced(self) -> bool:
        return not self.breaks


@dataclass(frozen=True, slots=True)
class DayReport:
    day: date
    pairs: tuple[PairReport, ...]
    repaired: tuple[str, ...] = ()
    """The msgids whose answers the hub's books took on the treating region's statement before
    comparing: answers the journal held without a copy of their request (design §4), each
    adding entries the statement lists exactly."""
    held: int = 0
    """Answers still held for want of their request's copy, whatever their day."""

    @property
    def balanced(self) -> bool:
        return all(p.balanced for p in self.pairs)

    @property
    def breaks(self) -> tuple[Break, ...]:
        return tuple(b for p in self.pairs for b in p.breaks)


def vouches(
    day: date,
    listed: Mapping[str, Held],
    refunds: frozenset[str],
    bookings: tuple[Booking | Void, ...],
) -> bool:
    """Whether the treating region's statement of ``day`` (``listed`` by ``setl_id``;
    ``refunds``: the ids it marks ``refd_setl_flag`` 1) says exactly what these bookings of a
    held answer would book: the same settlement or mirror, day, message, regions and money. A
    void (a cancel's 2601) is not a statement row, so nothing vouches for it: it waits for its
    request's copy."""
    if not bookings:
        return False
    for b in bookings:
        if isinstance(b, Void):
            return False
        stated = listed.get(b.setl_id)
        if stated is None or b.day != day or (b.kind is EntryKind.CANCEL) != (b.setl_id in refunds):
            return False
        booked = Held(
            b.setl_id, b.msgid, b.mdtrtarea_admvs, b.insuplc_admdvs, b.amount("medfee_sumamt"),
            b.amount("fund_pay_sumamt"), b.amount("acct_pay"),
            tuple(b.amount(name) for name in FUNDS) if stated.funds is not None else None,
        )  # fmt: skip
        if booked != stated:
            return False
    return True


def _totals(rows: list[Held]) -> Totals:
    return Totals(
        len(rows),
        sum((r.medfee_sumamt for r in rows), Decimal("0.00")),
        sum((r.fund_pay_sumamt for r in rows), Decimal("0.00")),
        sum((r.acct_pay for r in rows), Decimal("0.00")),
    )


def _differences(a: Held, b: Held) -> tuple[list[str], list[str]]:
    amounts = [n for n in ("medfee_sumamt", "acct_pay") if getattr(a, n) != getattr(b, n)]
    funds = ["fund_pay_sumamt"] if a.fund_pay_sumamt != b.fund_pay_sumamt else []
    if a.funds is not None and b.funds is not None:
        funds += [n for n, x, y in zip(FUNDS, a.funds, b.funds, strict=True) if x != y]
    return amounts, funds


def _compare(
    setl_id: str,
    t: Held | None,
    h: Held | None,
    i: Held | None,
    open_msgids: frozenset[str],
) -> Break | None:
    msgid = next(side.msgid for side in (i, t, h) if side is not None)
    if t is None or i is None:
        if i is not None:
            if i.msgid in open_msgids:
                return Break(setl_id, msgid, Category.UNKNOWN, f"报文 {i.msgid} 在就医地结果未知")
            return Break(setl_id, msgid, Category.INSURED_ONLY, "就医地账中无此结算")
        if t is not None:
            return Break(setl_id, msgid, Category.TREATING_ONLY, "参保地账中无此结算")
        return Break(setl_id, msgid, Category.HUB_ONLY, "就医地与参保地账中均无此结算")
    amounts, funds = _differences(t, i)
    if amounts:
        return Break(setl_id, msgid, Category.AMOUNT, f"就医地与参保地不一致：{', '.join(amounts)}")
    if funds:
        return Break(setl_id, msgid, Category.FUND, f"就医地与参保地不一致：{', '.join(funds)}")
    if h is None:
        return Break(setl_id, msgid, Category.HUB_MISSING, "平台账中无此结算")
    amounts, funds = _differences(h, i)
    if amounts or funds:
        return Break(
            setl_id, msgid, Category.AMOUNT if amounts else Category.FUND,
            f"平台账与参保地不一致：{', '.join(amounts + funds)}",
        )  # fmt: skip
    return None


def reconcile(
    day: date,
    treating: list[Held],
    hub: list[Held],
    insured: list[Held],
    open_msgids: frozenset[str] = frozenset(),
) -> DayReport:
    """Compare the three sides of ``day``; ``open_msgids`` are the treating region's messages
    whose outcome it does not know yet (a lost reply not yet recorded)."""
    sides = (treating, hub, insured)
    by_pair: dict[tuple[str, str], list[dict[str, Held]]] = defaultdict(lambda: [{}, {}, {}])
    for index, rows in enumerate(sides):
        for row in rows:
            by_pair[(row.mdtrtarea_admvs, row.insuplc_admdvs)][index][row.setl_id] = row
    pairs = []
    for (treating_admdvs, insured_admdvs), (t, h, i) in sorted(by_pair.items()):
        breaks = [
            found
            for setl_id in sorted(set(t) | set(h) | set(i))
            if (found := _compare(setl_id, t.get(setl_id), h.get(setl_id), i.get(setl_id),
                                  open_msgids)) is not None
        ]  # fmt: skip
        pairs.append(
            PairReport(
                treating_admdvs,
                insured_admdvs,
                _totals(list(t.values())),
                _totals(list(h.values())),
                _totals(list(i.values())),
                tuple(breaks),
            )
        )
    return DayReport(day, tuple(pairs))
