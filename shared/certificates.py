"""Certificates on the national wire: which numbers can be which certificate, and code spellings.

Pure (stdlib only), so that a domain layer may use it. Strict about meaning: a ``mdtrt_cert_no``
that cannot be a certificate of its ``mdtrt_cert_type`` is refused before anything is sent;
tolerant about form: ``"2"``, ``2`` and ``"02"`` are the same code.
"""

from __future__ import annotations

import re
from datetime import date

RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
"""GB 11643-1999 公民身份号码: weight i is 2^(17-i) mod 11."""
RESIDENT_ID_CHECK = "10X98765432"

MDTRT_CERT_TYPES = {"01": "医保电子凭证", "02": "居民身份证", "03": "社会保障卡"}
"""就诊凭证类型 (codes.md)."""

_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_CARD = re.compile(r"^[0-9A-Za-z]{6,30}$")
_TOKEN = re.compile(r"^[0-9A-Za-z:_\-.]{6,128}$")


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def _birth_date_ok(yyyymmdd: str) -> bool:
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return True


def is_resident_id(number: str) -> bool:
    """An 18-character id number (GB 11643, check character verified) or a 15-digit
    first-generation one, with a real birth date in it."""
    text = number.strip().upper()
    if _ID18.match(text):
        return _birth_date_ok(text[6:14]) and id_check_char(text[:17]) == text[17]
    if _ID15.match(text):
        return _birth_date_ok("19" + text[6:12])
    return False


def canonical_certno(number: str) -> str:
    """An id number's check character is ``X`` however it was typed; other numbers as they are.

    Enrolment, the gateway and the hub's person index all read a certificate this way."""
    text = number.strip()
    return text.upper() if is_resident_id(text) else text


def cert_no_problem(cert_type: str, cert_no: str) -> str | None:
    """Why ``cert_no`` cannot be a certificate of ``cert_type`` (in Chinese), or None.

    02 身份证: a valid id number. 03 社保卡: the holder's 社会保障号码 (the id number) or the card
    number (letters and digits, 6–30). 01 电子凭证: the voucher's token (letters, digits,
    ``:_-.``, 6–128 characters).
    """
    name = MDTRT_CERT_TYPES.get(cert_type)
    if name is None:
        return f"就诊凭证类型 {cert_type} 不在 01/02/03 之内"
    if cert_type == "02":
        if not is_resident_id(cert_no):
            return (
                f"“{cert_no[:4]}…”不是有效的{name}号码"
                "（应为 18 位公民身份号码且校验位正确，或 15 位旧号）"
            )
        return None
    if cert_type == "03":
        if not (is_resident_id(cert_no) or _CARD.match(cert_no)):
            return f"“{cert_no[:4]}…”不是有效的{name}号码（社会保障号码或 6–30 位卡号）"
        return None
    if not _TOKEN.match(cert_no):
        return f"“{cert_no[:4]}…”不是有效的{name}令牌（6–128 位字母、数字或 :_-.）"
    return None


def two_digit_code(value: object) -> object:
    """``1``, ``"1"`` and ``"01"`` are the same code; anything else is left for validation."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 1 and text.isdigit():
            return "0" + text
        return text
    return value
