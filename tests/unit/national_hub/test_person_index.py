"""The hub's person index keeps one row per certificate: the latest enrolment (design §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.national_hub.domain.person_index import IndexEntry, latest_per_certificate

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def entry(certno_hash: str, at: datetime, psn_cert_type: str = "01") -> IndexEntry:
    return IndexEntry(certno_hash, psn_cert_type, at)


def test_distinct_certificates_are_all_kept_in_order() -> None:
    entries = [entry("b", T0), entry("a", T0), entry("c", T0)]
    assert latest_per_certificate(entries) == entries


def test_the_later_enrolment_of_one_certificate_wins_whatever_the_order() -> None:
    later = entry("a", T0 + timedelta(minutes=1))
    assert latest_per_certificate([later, entry("a", T0)]) == [later]
    assert latest_per_certificate([entry("a", T0), later]) == [later]


def test_same_number_under_another_certificate_type_is_another_certificate() -> None:
    entries = [entry("a", T0, "01"), entry("a", T0, "02")]
    assert latest_per_certificate(entries) == entries


def test_a_repeated_entry_is_kept_once() -> None:
    assert latest_per_certificate([entry("a", T0), entry("a", T0)]) == [entry("a", T0)]


def test_nothing_in_nothing_out() -> None:
    assert latest_per_certificate([]) == []
