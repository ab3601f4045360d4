"""The split of one fee line by the treating region's catalogue (design §5).

``A = det_item_fee_sumamt`` (must equal ``pric × cnt`` to the cent):
not in the catalogue or 丙类 → all self-paid (``fulamt_ownpay_amt``); otherwise the part of the
price above the cap is over-limit, 乙类 pays its first self-pay share of the rest, and what is
left is in scope. ``A = fulamt + overlmt + preselfpay + inscp`` for every line, refunds included.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.treating_region.domain.catalogue import CLASS_B, CLASS_C, CatalogueEntry
from shared.money import ZERO, parts_violation, to_cents

UNLISTED_CATEGORY = "14"
"""A line whose code is not in the catalogue is counted under 其他费 unless the hospital says."""


@dataclass(frozen=True, slots=True)
class FeeLine:
    feedetl_sn: str
    med_list_codg: str
    pric: Decimal
    cnt: Decimal
    det_item_fee_sumamt: Decimal
    med_chrgitm_type: str | None = None
    """What the hospital says, used only for items the catalogue does not know."""


@dataclass(frozen=True, slots=True)
class LineSplit:
    feedetl_sn: str
    det_item_fee_sumamt: Decimal
    cnt: Decimal
    pric: Decimal
    pric_uplmt_amt: Decimal | None
    selfpay_prop: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_amt: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal
    chrgitm_lv: str
    med_chrgitm_type: str
    in_catalogue: bool


class LineRefused(ValueError):
    """The line cannot be split: its amount is not price × count."""


def split_line(line: FeeLine, entry: CatalogueEntry | None) -> LineSplit:
    amount = line.det_item_fee_sumamt
    if to_cents(line.pric * line.cnt) != amount:
        raise LineRefused(
            f"feedetl_sn {line.feedetl_sn}：det_item_fee_sumamt {amount} 不等于 pric × cnt "
            f"{to_cents(line.pric * line.cnt)}"
        )
    if entry is None or entry.chrgitm_lv == CLASS_C:
        return LineSplit(
            feedetl_sn=line.feedetl_sn,
            det_item_fee_sumamt=amount,
            cnt=line.cnt,
            pric=line.pric,
            pric_uplmt_amt=entry.pric_uplmt_amt if entry else None,
            selfpay_prop=ZERO,
            fulamt_ownpay_amt=amount,
            overlmt_amt=ZERO,
            preselfpay_amt=ZERO,
            inscp_scp_amt=ZERO,
            chrgitm_lv=entry.chrgitm_lv if entry else CLASS_C,
            med_chrgitm_type=(
                entry.med_chrgitm_type if entry else (line.med_chrgitm_type or UNLISTED_CATEGORY)
            ),
            in_catalogue=entry is not None,
        )
    over_per_unit = ZERO
    if entry.pric_uplmt_amt is not None and line.pric > entry.pric_uplmt_amt:
        over_per_unit = line.pric - entry.pric_uplmt_amt
    overlmt = to_cents(over_per_unit * line.cnt)
    allowed = amount - overlmt
    ratio = entry.selfpay_prop if entry.chrgitm_lv == CLASS_B else ZERO
    preselfpay = to_cents(allowed * ratio)
    return LineSplit(
        feedetl_sn=line.feedetl_sn,
        det_item_fee_sumamt=amount,
        cnt=line.cnt,
        pric=line.pric,
        pric_uplmt_amt=entry.pric_uplmt_amt,
        selfpay_prop=ratio,
        fulamt_ownpay_amt=ZERO,
        overlmt_amt=overlmt,
        preselfpay_amt=preselfpay,
        inscp_scp_amt=allowed - preselfpay,
        chrgitm_lv=entry.chrgitm_lv,
        med_chrgitm_type=entry.med_chrgitm_type,
        in_catalogue=True,
    )


def split_violations(s: LineSplit) -> list[str]:
    """The identity of design §5; an empty list means the line balances to the cent."""
    problems = []
    unbalanced = parts_violation(
        f"{s.feedetl_sn} 的 det_item_fee_sumamt",
        s.det_item_fee_sumamt,
        s.fulamt_ownpay_amt,
        s.overlmt_amt,
        s.preselfpay_amt,
        s.inscp_scp_amt,
    )
    if unbalanced:
        problems.append(unbalanced)
    same_sign = all(
        (v >= 0) if s.det_item_fee_sumamt >= 0 else (v <= 0)
        for v in (s.fulamt_ownpay_amt, s.overlmt_amt, s.preselfpay_amt, s.inscp_scp_amt)
    )
    if not same_sign:
        problems.append(f"{s.feedetl_sn}: a part has the wrong sign")
    return problems
