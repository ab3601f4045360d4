"""Personal data masked in what operators read (design §8), by the key each value stands under.

An answer meant for an operator (a stored hospital message, the hub's log, an insured person) is
JSON-like: its national field names say which values are personal. The masks are those of the
logs (``shared.logging``), so an operator sees what a log line would show.
"""

from __future__ import annotations

import re
from typing import Any

from shared.logging import mask_id_no, mask_name, mask_text

ID_NUMBER_KEYS = frozenset({"certno", "mdtrt_cert_no"})
"""The identity-document number and the medical certificate's (often the same id number)."""

NAME_KEYS = frozenset({"psn_name", "patn_name"})
"""A person's name. Plain ``name`` is not among them: in this relay it names catalogue items,
regions, policies and diseases, never a person."""

BIRTH_DATE_KEYS = frozenset({"brdy"})
"""The birth date is the part of the id number its mask hides; only its year is kept."""

FREE_TEXT_KEYS = frozenset({"err_detail", "err_msg", "warn_msg", "memo"})
"""Text that may quote an id number or a name (an error detail naming the field it refused)."""

_DATE = re.compile(r"^(\d{4})-\d{2}-\d{2}")


def _mask_birth_date(value: str) -> str:
    found = _DATE.match(value)
    return f"{found.group(1)}-**-**" if found else "*" * len(value)


def mask_personal(value: Any) -> Any:
    """A copy of a JSON-like value with every personal field masked, at any depth.

    Args:
        value: dicts, lists and scalars as ``json.loads`` or a ``*_out`` function makes them.

    Returns:
        The same shape; id numbers keep their region prefix and last four characters, names
        their family name, birth dates their year; free text is masked wherever an id number or
        a keyed name appears. Nothing else changes, and the argument is not modified.
    """
    if isinstance(value, dict):
        return {key: _mask_field(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_personal(item) for item in value]
    return value


def _mask_field(key: str, value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return mask_personal(value)
    if key in ID_NUMBER_KEYS and isinstance(value, str | int):  # an id number sent as a number
        return mask_id_no(str(value))
    if not isinstance(value, str):
        return value
    if key in NAME_KEYS:
        return mask_name(value)
    if key in BIRTH_DATE_KEYS:
        return _mask_birth_date(value)
    if key in FREE_TEXT_KEYS:
        return mask_text(value)
    return value
