"""The transaction groups (infno), named once for every service (docs/codes.md, Transactions).

A 2303 and a 2206 are one idea (a pre-settlement), spelt for inpatient and outpatient care; the
code asks "is this a settlement?", never lists the pair again.
"""

from __future__ import annotations

from typing import Any

INFNO_VARIANTS: dict[str, str] = {
    "2203A": "2203",  # 门诊就诊信息上传（新）: the newer form of 2203, same input
}
"""Variants of the national transaction list, and the transaction each one names."""


def canonical_infno(value: Any) -> Any:
    """``2203A`` is 2203: a variant of the national list names the transaction it stands for."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        text = value.strip().upper()
        return INFNO_VARIANTS.get(text, text)
    return value


PRE_SETTLE = frozenset({"2303", "2206"})
"""Pre-settlement (预结算): computed, never stored."""
SETTLE = frozenset({"2304", "2207"})
"""Settlement (结算): stored under the hospital's msgid at both regions."""
CANCEL = frozenset({"2305", "2208"})
"""Settlement cancel (撤销结算): a negative mirror of a settlement."""
INPATIENT = frozenset({"2303", "2304", "2305"})
"""The inpatient forms of the three above (the rest are outpatient)."""
REGISTER = frozenset({"2401", "2201"})
"""Admission / outpatient registration (入院登记 / 门诊挂号)."""
UPLOAD = frozenset({"2301", "2204"})
"""Fee-detail upload (费用明细上传): kept at the treating region only."""
FILING = frozenset({"2501", "2503"})
"""Filings (备案): referral and chronic-disease, made at the insured region."""
FILING_CANCEL = frozenset({"2502", "2504"})
REVERSAL = "2601"
"""冲正: undo the message named by omsgid/oinfno."""

STORED_BY_MSGID = SETTLE | CANCEL | {REVERSAL}
"""Whose effect the insured region stores under the msgid, with an owed reply (the outbox)."""
REVERSIBLE = SETTLE | CANCEL | REGISTER | UPLOAD | FILING
"""What a 2601 may name as its original (an upload's reversal goes no further than the
treating region)."""
