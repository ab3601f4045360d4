"""Money is Decimal, rounded to the cent in exactly one place (design §5, §7: ROUND_HALF_UP)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("1000000000000")
"""Numeric(14, 2) holds 12 integer digits: anything larger is a typo, not a medical bill."""
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def to_cents(value: Decimal) -> Decimal:
    """Round to 2 places, half up: the one rounding rule of the national settlement."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(value: str | int | Decimal) -> Decimal:
    """Parse a wire amount (string or integer, any number of decimals) to a Decimal.

    Floats are refused: a float has already lost the cents a hospital meant.

    Args:
        value: the amount as the wire carried it.

    Raises:
        ValueError: the value is a float, a bool, not a number, or not finite.
    """
    if isinstance(value, (bool, float)):
        raise ValueError("金额不能是浮点数，请以字符串或整数发送 (amounts must not be floats)")
    if isinstance(value, Decimal):
        parsed = value
    elif isinstance(value, int):
        parsed = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"不是金额 (not an amount)：{value!r}") from exc
        if parsed.is_finite() and not _PLAIN_NUMBER.fullmatch(text):
            raise ValueError(f"不是普通的十进制金额 (not a plain decimal amount)：{value!r}")
    else:
        raise ValueError(f"不是金额 (not an amount)：{value!r}")
    if not parsed.is_finite():
        raise ValueError(f"金额不是有限数值 (not a finite amount)：{value!r}")
    if abs(parsed) >= MAX_AMOUNT:
        raise ValueError(
            f"金额超出范围，绝对值应小于 {MAX_AMOUNT} (amount out of range)：{value!r}"
        )
    return parsed


def format_amount(value: Decimal) -> str:
    """The wire form of an amount: a string with exactly two decimals, never ``-0.00``."""
    cents = to_cents(value)
    return str(cents if cents != 0 else ZERO)


FOUR_PARTS = "全自费、超限价自费、先行自付、政策范围内四项之和"
"""fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt, as a clerk says it."""


def parts_violation(
    what: str,
    total: Decimal,
    fulamt_ownpay: Decimal,
    overlmt_selfpay: Decimal,
    preselfpay: Decimal,
    inscp_scp: Decimal,
) -> str | None:
    """The bill's identity (design §5): a total is its four parts — full self-pay, over the
    price cap, the patient's first share, and within policy — to the cent. None when it holds,
    else one line naming ``what`` broke it, as a clerk can read it."""
    parts = fulamt_ownpay + overlmt_selfpay + preselfpay + inscp_scp
    return None if total == parts else f"{what} {total} 不等于{FOUR_PARTS} {parts}"
