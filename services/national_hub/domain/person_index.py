"""The national person index as the hub keeps it: certificate (keyed hash) → insured region."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class IndexEntry:
    certno_hash: str
    psn_cert_type: str
    enrolled_at: datetime


def latest_per_certificate(entries: Iterable[IndexEntry]) -> list[IndexEntry]:
    """One entry per certificate, the latest enrolment (an upsert may touch a row only once),
    in first-seen order."""
    latest: dict[tuple[str, str], IndexEntry] = {}
    for entry in entries:
        key = (entry.certno_hash, entry.psn_cert_type)
        kept = latest.get(key)
        if kept is None or kept.enrolled_at < entry.enrolled_at:
            latest[key] = entry
    return list(latest.values())
