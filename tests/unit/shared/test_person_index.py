"""Enrolment events: what an insured region tells the hub's person index, and what it never does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.national_hub.domain.routing import certificate_of
from shared.envelope import MessageKind, RelayEnvelope
from shared.messaging.person_index import (
    BATCH_MAX,
    ENROLMENT_INFNO,
    EVENT_SHELF_LIFE,
    Enrolled,
    EnrolmentPayload,
    cert_type,
    certno_hash,
    enrolment_events,
    index_key,
)

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
KEY = index_key("dev-relay-secret")
CERTNO = "650102199001011234"


def persons(n: int) -> list[Enrolled]:
    return [Enrolled("01", f"6501021990{i:08d}", NOW - timedelta(days=i)) for i in range(n)]


def test_hash_is_keyed_by_the_relay_secret() -> None:
    other = index_key("another-deployment")
    assert certno_hash(KEY, CERTNO) != certno_hash(other, CERTNO)
    assert certno_hash(KEY, CERTNO) == certno_hash(index_key("dev-relay-secret"), CERTNO)


def test_hash_is_hex_sha256_and_hides_the_number() -> None:
    digest = certno_hash(KEY, CERTNO)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert CERTNO not in digest


@pytest.mark.parametrize("spelling", [" 65010219900101123x", "65010219900101123X "])
def test_check_letter_and_spaces_do_not_change_the_hash(spelling: str) -> None:
    assert certno_hash(KEY, spelling) == certno_hash(KEY, "65010219900101123X")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "01"), ("", "01"), (" ", "01"), ("1", "01"), (1, "01"), ("02", "02"), ("99", "99")],
)
def test_cert_type_one_and_two_digit_spellings_and_absent(value: object, expected: str) -> None:
    assert cert_type(value) == expected


def test_one_event_per_batch_of_at_most_batch_max() -> None:
    events = enrolment_events("650100", persons(2 * BATCH_MAX + 1), KEY, now=NOW)
    sizes = [len(EnrolmentPayload.model_validate(e.payload).persons) for e in events]
    assert sizes == [BATCH_MAX, BATCH_MAX, 1]


def test_no_persons_no_event() -> None:
    assert enrolment_events("650100", [], KEY, now=NOW) == []


def test_event_is_addressed_from_its_region() -> None:
    (event,) = enrolment_events("650100", persons(1), KEY, now=NOW)
    assert event.kind == MessageKind.EVENT
    assert event.infno == ENROLMENT_INFNO
    assert (event.sender_admdvs, event.mdtrtarea_admvs, event.insuplc_admdvs) == ("650100",) * 3
    assert event.reply_to is None
    assert event.deadline == NOW + EVENT_SHELF_LIFE


def test_event_fits_the_hub_log_columns() -> None:
    (event,) = enrolment_events("650100", persons(1), KEY, now=NOW)
    assert event.msgid == event.relay_id
    assert len(event.msgid) <= 40
    assert len(event.infno) <= 8


def test_event_carries_no_clear_certificate_and_no_name() -> None:
    people = persons(3)
    (event,) = enrolment_events("650100", people, KEY, now=NOW)
    body = event.model_dump_json()
    for person in people:
        assert person.certno not in body
    assert set(event.payload) == {"persons", "resync"}
    entry = event.payload["persons"][0]
    assert set(entry) == {"certno_hash", "psn_cert_type", "enrolled_at"}


def test_event_survives_the_wire_and_keeps_enrolment_times() -> None:
    people = persons(2)
    (event,) = enrolment_events("650100", people, KEY, resync=True, now=NOW)
    received = RelayEnvelope.model_validate_json(event.model_dump_json())
    payload = EnrolmentPayload.model_validate(received.payload)
    assert payload.resync is True
    assert [p.enrolled_at for p in payload.persons] == [p.enrolled_at for p in people]
    assert [p.certno_hash for p in payload.persons] == [certno_hash(KEY, p.certno) for p in people]


def test_the_hub_finds_the_hash_the_region_announced_from_a_1101() -> None:
    """The region hashes its stored number; the hub hashes what the hospital sent (design §4)."""
    (event,) = enrolment_events("650100", [Enrolled("01", CERTNO, NOW)], KEY, now=NOW)
    announced = EnrolmentPayload.model_validate(event.payload).persons[0]
    hospital_sends = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNO + " "}}
    certificate = certificate_of(hospital_sends)
    assert certificate is not None
    assert certno_hash(KEY, certificate.certno) == announced.certno_hash
    assert cert_type(certificate.psn_cert_type) == announced.psn_cert_type


@pytest.mark.parametrize(
    "entry",
    [
        {"certno_hash": CERTNO, "psn_cert_type": "01", "enrolled_at": "2026-12-01T00:00:00Z"},
        {"certno_hash": "a" * 64, "psn_cert_type": "1", "enrolled_at": "2026-12-01T00:00:00Z"},
        {"certno_hash": "a" * 64, "psn_cert_type": "01"},
    ],
    ids=["clear_number_instead_of_hash", "one_digit_type", "no_enrolment_time"],
)
def test_the_hub_refuses_a_malformed_entry(entry: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        EnrolmentPayload.model_validate({"persons": [entry]})


def test_the_hub_refuses_an_empty_or_oversized_batch() -> None:
    with pytest.raises(ValueError, match="validation error"):
        EnrolmentPayload.model_validate({"persons": []})
    entry = {"certno_hash": "a" * 64, "psn_cert_type": "01", "enrolled_at": NOW.isoformat()}
    with pytest.raises(ValueError, match="validation error"):
        EnrolmentPayload.model_validate({"persons": [entry] * (BATCH_MAX + 1)})
