"""Insured persons: age on a date, the 1101 identity check, and the one Person builder."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import pytest

from services.insured_region.domain.person import (
    Filing,
    Identity,
    Insurance,
    Person,
    age_on,
    check_identity,
    person_from,
)
from shared.errors import E1001, E1002, RelayError

PERSON = Person(
    psn_no="65010000420000000001",
    insuplc_admdvs="650100",
    psn_cert_type="01",
    certno="11010519491231002X",
    psn_name="张三",
    gend="2",
    naty="01",
    brdy=date(1949, 12, 31),
)


@pytest.mark.parametrize(
    ("brdy", "today", "age"),
    [
        (date(2000, 5, 10), date(2020, 5, 10), 20),
        (date(2000, 5, 10), date(2020, 5, 9), 19),
        (date(2000, 5, 10), date(2020, 5, 11), 20),
        (date(2000, 5, 10), date(2020, 4, 30), 19),
        (date(2000, 5, 10), date(2020, 6, 1), 20),
        (date(2000, 12, 31), date(2021, 1, 1), 20),
        (date(2000, 1, 1), date(2020, 12, 31), 20),
        (date(2000, 2, 29), date(2021, 2, 28), 20),
        (date(2000, 2, 29), date(2021, 3, 1), 21),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2020, 5, 10), date(2020, 5, 10), 0),
        (date(2020, 5, 10), date(2021, 5, 9), 0),
    ],
    ids=[
        "birthday_today",
        "day_before_birthday",
        "day_after_birthday",
        "month_before_birthday",
        "month_after_birthday",
        "new_years_day_after_new_years_eve_birth",
        "new_years_eve_after_new_years_day_birth",
        "leap_day_birth_on_feb_28",
        "leap_day_birth_on_mar_1",
        "leap_day_birth_on_leap_day",
        "born_today",
        "day_before_first_birthday",
    ],
)
def test_age_on(brdy: date, today: date, age: int) -> None:
    assert age_on(brdy, today) == age


def test_unknown_person_is_e1001() -> None:
    with pytest.raises(RelayError) as info:
        check_identity(None, certno="11010519491231002X", psn_name="张三")
    assert info.value.spec is E1001


def test_unknown_person_detail_does_not_repeat_the_full_certno() -> None:
    with pytest.raises(RelayError) as info:
        check_identity(None, certno="11010519491231002X", psn_name=None)
    assert "11010519491231002X" not in info.value.detail
    assert "11010519491231002X" not in info.value.plain_message()
    assert info.value.detail.startswith("certno 110105")


def test_name_mismatch_is_e1002() -> None:
    with pytest.raises(RelayError) as info:
        check_identity(PERSON, certno=PERSON.certno, psn_name="李四")
    assert info.value.spec is E1002


def test_matching_name_returns_the_person() -> None:
    assert check_identity(PERSON, certno=PERSON.certno, psn_name="张三") is PERSON


@pytest.mark.parametrize("psn_name", [None, ""], ids=repr)
def test_blank_name_is_accepted(psn_name: str | None) -> None:
    assert check_identity(PERSON, certno=PERSON.certno, psn_name=psn_name) is PERSON


@dataclass(frozen=True)
class _InsuranceSource:
    insutype: str = "310"
    psn_type: str = "11"
    psn_insu_stas: str = "1"
    psn_insu_date: date = date(2010, 1, 1)
    cvlserv_flag: bool = False
    balc: Decimal = Decimal("1234.50")
    emp_name: str | None = "新华书店"


@dataclass(frozen=True)
class _IdentitySource:
    psn_idet_type: str = "2302"
    begntime: date = date(2024, 1, 1)
    endtime: date | None = None


@dataclass(frozen=True)
class _PersonSource:
    """Anything spelled with the domain's names builds a Person (a row, a request model)."""

    psn_no: str = PERSON.psn_no
    insuplc_admdvs: str = PERSON.insuplc_admdvs
    psn_cert_type: str = PERSON.psn_cert_type
    certno: str = PERSON.certno
    psn_name: str = PERSON.psn_name
    gend: str = PERSON.gend
    naty: str = PERSON.naty
    brdy: date = PERSON.brdy
    insurances: tuple[_InsuranceSource, ...] = (_InsuranceSource(),)
    identities: tuple[_IdentitySource, ...] = (_IdentitySource(),)


def test_person_from_copies_every_field_and_keeps_the_balance_a_decimal() -> None:
    filing = Filing("F1", "12", "110000", date(2026, 1, 1), None, "active")
    person = person_from(_PersonSource(), filings=[filing])
    assert person == replace(
        PERSON,
        insurances=(
            Insurance("310", "11", "1", date(2010, 1, 1), False, Decimal("1234.50"), "新华书店"),
        ),
        identities=(Identity("2302", date(2024, 1, 1), None),),
        filings=(filing,),
    )
    assert isinstance(person.insurances[0].balc, Decimal)
