"""Logging that carries the correlation ids and never prints an id number or a name in clear."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import Any

relay_id_var: ContextVar[str] = ContextVar("relay_id", default="-")
msgid_var: ContextVar[str] = ContextVar("msgid", default="-")

_ID_NO = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])")
_ID_NO_15 = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{5}(\d{4})(?![\dA-Za-z])")
"""First-generation (15-digit) id numbers: region, yyMMdd, sequence — still in use."""
_NAMED = re.compile(
    r"(?P<key>\b(?:psn_name|patn_name|name|姓名)\b[\"']?\s*[:=：]\s*[\"']?)(?P<name>[^\"',\s}\)]+)"
)
"""A name written beside its key (``psn_name=张三``, ``"psn_name": "张三"``)."""


def mask_id_no(id_no: str | None) -> str:
    """Keep the region prefix and the last four characters of an 18-character id number;
    shorter numbers (passports, permits) keep less, and always lose at least half."""
    if not id_no:
        return ""
    n = len(id_no)
    if n >= 15:
        return id_no[:6] + "*" * (n - 10) + id_no[-4:]
    if n >= 9:
        return id_no[:2] + "*" * (n - 4) + id_no[-2:]
    return "*" * n


def mask_name(name: str | None) -> str:
    """Keep the family name only (张三 → 张*)."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def mask_text(text: str) -> str:
    """Mask every id number (18- and 15-digit) and every name written beside its key."""
    text = _ID_NO.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    text = _ID_NO_15.sub(lambda m: m.group(1) + "*****" + m.group(2), text)
    return _NAMED.sub(lambda m: m.group("key") + mask_name(m.group("name")), text)


class MaskingFormatter(logging.Formatter):
    """Masks tracebacks and exception messages too: a database error may quote the row it
    refused. (The message itself is masked by ``ContextFilter``; the ``[msgid relay_id]``
    prefix stays as it is, so a log is searchable by msgid whatever its form.)"""

    def formatException(self, ei: Any) -> str:  # logging's own name
        return mask_text(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # logging's own name
        return mask_text(super().formatStack(stack_info))


class ContextFilter(logging.Filter):
    """Adds relay_id and msgid to every record and masks id numbers in the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.relay_id = relay_id_var.get()
        record.msgid = msgid_var.get()
        if record.args:
            try:
                record.msg = record.getMessage()
            except (TypeError, ValueError):
                return True
            record.args = None
        if isinstance(record.msg, str):
            record.msg = mask_text(record.msg)
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        MaskingFormatter(
            f"%(asctime)s %(levelname)s {service} %(name)s [%(msgid)s %(relay_id)s] %(message)s"
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
