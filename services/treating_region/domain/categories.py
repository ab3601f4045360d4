"""The 14 national fee categories (大类费用) that an inpatient settlement carries (design §5)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from services.treating_region.domain.catalogue import CHARGE_CATEGORIES
from services.treating_region.domain.split import LineSplit
from shared.money import ZERO


@dataclass(frozen=True, slots=True)
class Totals:
    medfee_sumamt: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal


@dataclass(frozen=True, slots=True)
class CategoryTotal:
    med_chrgitm_type: str
    det_item_fee_sumamt: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_amt: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal


def totals_of(lines: Iterable[LineSplit]) -> Totals:
    f = o = p = i = m = ZERO
    for line in lines:
        m += line.det_item_fee_sumamt
        f += line.fulamt_ownpay_amt
        o += line.overlmt_amt
        p += line.preselfpay_amt
        i += line.inscp_scp_amt
    return Totals(m, f, o, p, i)


def by_category(lines: Iterable[LineSplit]) -> tuple[CategoryTotal, ...]:
    """Every category 01–14, in order, even when empty: the national upload lists them all."""
    grouped: dict[str, list[LineSplit]] = {code: [] for code in CHARGE_CATEGORIES}
    for line in lines:
        grouped[line.med_chrgitm_type].append(line)
    result = []
    for code, members in grouped.items():
        t = totals_of(members)
        result.append(
            CategoryTotal(
                code,
                t.medfee_sumamt,
                t.fulamt_ownpay_amt,
                t.overlmt_selfpay,
                t.preselfpay_amt,
                t.inscp_scp_amt,
            )
        )
    return tuple(result)
