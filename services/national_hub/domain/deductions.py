"""Deductions from a settlement the funds already paid (内蒙古 细则 第四十三、四十六、五十四条).

Pure. The treating region's review (审核扣款) or a co-investigation answered 核查有误 finds part
of what the funds paid non-compliant; that part is not the funds' to pay, so it is booked as a
*deduction*: the settlement's funds reduced by the amount, the person's share untouched (the
institution bears it), returned to the insured region through clearing by the original channel
(按原渠道返回参保地账户, 第五十四条).

A deduction is booked under ``<setl_id>/xc`` or ``<setl_id>/audit`` with the settlement as its
``init_setl_id``: the clearing marks it ``*`` when that settlement was cleared in an earlier
month (第五十条).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from services.national_hub.domain.books import AMOUNTS, FUNDS

CENT = Decimal("0.01")


class Source(StrEnum):
    COINVESTIGATION = "xc"
    """A co-investigation answered 核查有误 (第六十三条): deducted in the next clearing."""
    AUDIT = "audit"
    """The treating region's review of a declaration (第四十三、四十六条)."""


class AuditState(StrEnum):
    AGREED = "agreed"
    """The institution agreed: into the clearing now open (the settlement's month if not yet
    cleared)."""
    DISPUTED = "disputed"
    """The institution disputes it: decided later, and if upheld into the next clearing."""
    UPHELD = "upheld"
    WITHDRAWN = "withdrawn"


def book_id(setl_id: str, source: Source) -> str:
    """One deduction of each source per settlement: one co-investigation, one audit."""
    return f"{setl_id}/{source.value}"


def split(amount: Decimal, funds: dict[str, Decimal]) -> dict[str, Decimal]:
    """``amount`` taken from each fund in proportion to what it paid, to the cent, the cents
    left by rounding down given to the funds with the largest remainders: the parts add up to
    ``amount`` exactly and none exceeds what its fund paid."""
    paid = {name: funds.get(name, Decimal(0)) for name in FUNDS}
    total = sum(paid.values(), Decimal(0))
    if amount <= 0 or total <= 0:
        return dict.fromkeys(FUNDS, Decimal("0.00"))
    if amount > total:
        raise ValueError(f"deduction {amount} exceeds the funds' {total}")
    exact = {name: amount * paid[name] / total for name in FUNDS}
    parts = {name: value.quantize(CENT, ROUND_DOWN) for name, value in exact.items()}
    left = int((amount - sum(parts.values(), Decimal(0))) / CENT)
    for name in sorted(FUNDS, key=lambda n: (parts[n] - exact[n], -paid[n]))[:left]:
        parts[name] += CENT
    return parts


def amounts(amount: Decimal, funds: dict[str, Decimal]) -> tuple[Decimal, ...]:
    """A deduction's amounts in the order of ``AMOUNTS``: the funds negated by their parts;
    the bill, the personal account and the person's cash unchanged (zero)."""
    parts = split(amount, funds)
    values = {name: Decimal("0.00") for name in AMOUNTS}
    values["fund_pay_sumamt"] = -amount
    for name, part in parts.items():
        values[name] = -part
    return tuple(values[name] for name in AMOUNTS)
