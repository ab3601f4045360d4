"""Insured persons: age on a date, and the 1101 identity check."""

from __future__ import annotations

from datetime import date

import pytest

from services.insured_region.domain.person import Person, age_on, check_identity
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
