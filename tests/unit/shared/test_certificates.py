"""shared.certificates: which numbers can be which certificate; one spelling per code."""

from __future__ import annotations

import pytest

from shared.certificates import (
    canonical_certno,
    cert_no_problem,
    id_check_char,
    is_resident_id,
    two_digit_code,
)

VALID_18 = "11010519491231002X"
VALID_15 = "110105491231002"


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        (VALID_18, True),
        (VALID_18.lower(), True),
        (VALID_15, True),
        ("110105194912310021", False),  # wrong check character
        ("110105194913310029", False),  # month 13
        ("11010519491231002", False),  # 17 characters
        ("110105491331002", False),  # 15 digits, month 13
        ("02", False),
        ("", False),
    ],
)
def test_resident_ids(number: str, valid: bool) -> None:
    assert is_resident_id(number) is valid


def test_the_check_character_is_gb_11643() -> None:
    assert id_check_char(VALID_18[:17]) == "X"


@pytest.mark.parametrize(
    ("cert_type", "number", "fits"),
    [
        ("02", VALID_18, True),
        ("02", VALID_15, True),
        ("02", "02", False),
        ("02", "110105194912310021", False),
        ("03", VALID_18, True),
        ("03", "A12345678", True),  # a social-security card number
        ("03", "02", False),
        ("01", "E1A2B3C4D5:ecToken", True),  # an e-voucher token
        ("01", "02", False),
        ("04", VALID_18, False),
    ],
)
def test_a_number_must_be_able_to_be_a_certificate_of_its_type(
    cert_type: str, number: str, fits: bool
) -> None:
    problem = cert_no_problem(cert_type, number)
    assert (problem is None) is fits
    if problem is not None:
        assert number[:4] in problem or cert_type in problem  # names what it refused


@pytest.mark.parametrize(
    ("sent", "code"), [("1", "01"), (1, "01"), ("01", "01"), (" 2 ", "02"), ("11", "11")]
)
def test_one_and_two_digit_spellings_are_one_code(sent: object, code: str) -> None:
    assert two_digit_code(sent) == code


def test_what_is_no_code_is_left_for_validation() -> None:
    assert two_digit_code(True) is True
    assert two_digit_code("x") == "x"


def test_an_id_numbers_check_character_is_upper_case_other_numbers_unchanged() -> None:
    assert canonical_certno(VALID_18.lower()) == VALID_18
    assert canonical_certno(" a12345678 ") == "a12345678"
