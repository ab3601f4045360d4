"""shared.masking: what an operator reads never shows an id number, a name or a birth date."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.masking import mask_personal

ID_NO = "650102196001010023"
MASKED_ID_NO = "650102********0023"

SETTLEMENT_STATUS: dict[str, Any] = {
    "msgid": "H65010000001202611231015000001",
    "status": "ok",
    "err_detail": None,
    "output": {
        "setlinfo": {
            "setl_id": "S1",
            "psn_no": "650100T0000000000001",
            "psn_name": "王伟",
            "psn_cert_type": "01",
            "certno": ID_NO,
            "gend": "1",
            "brdy": "1960-01-01",
            "medfee_sumamt": "1234.50",
        },
        "setldetail": [{"fund_pay_type": "310100", "fund_payamt": "800.00"}],
    },
}


def test_a_settlement_status_has_its_id_number_name_and_birth_date_masked() -> None:
    setlinfo = mask_personal(SETTLEMENT_STATUS)["output"]["setlinfo"]

    assert setlinfo["certno"] == MASKED_ID_NO
    assert setlinfo["psn_name"] == "王*"
    assert setlinfo["brdy"] == "1960-**-**"


def test_everything_else_stays_as_it_was() -> None:
    masked = mask_personal(SETTLEMENT_STATUS)
    setlinfo = masked["output"]["setlinfo"]

    assert {k: setlinfo[k] for k in ("setl_id", "psn_no", "psn_cert_type", "medfee_sumamt")} == {
        "setl_id": "S1",
        "psn_no": "650100T0000000000001",  # the insurance number stays (design §8 log)
        "psn_cert_type": "01",
        "medfee_sumamt": "1234.50",
    }
    assert masked["output"]["setldetail"] == SETTLEMENT_STATUS["output"]["setldetail"]
    assert masked["msgid"] == SETTLEMENT_STATUS["msgid"]


def test_the_argument_is_not_modified() -> None:
    before = copy.deepcopy(SETTLEMENT_STATUS)

    mask_personal(SETTLEMENT_STATUS)

    assert before == SETTLEMENT_STATUS


def test_lists_of_persons_are_masked_at_any_depth() -> None:
    persons = [
        {"baseinfo": {"certno": ID_NO, "psn_name": "欧阳娜娜"}},
        {"baseinfo": {"certno": "120101199901019999", "psn_name": "李敏"}},
    ]

    masked = mask_personal(persons)

    assert [p["baseinfo"]["certno"] for p in masked] == [MASKED_ID_NO, "120101********9999"]
    assert [p["baseinfo"]["psn_name"] for p in masked] == ["欧***", "李*"]


def test_a_hospital_request_masks_both_certificate_numbers() -> None:
    data = {"mdtrt_cert_type": "02", "mdtrt_cert_no": ID_NO, "certno": ID_NO}

    masked = mask_personal({"input": {"data": data}})["input"]["data"]

    assert masked == {
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": MASKED_ID_NO,
        "certno": MASKED_ID_NO,
    }


def test_free_text_is_masked_where_it_quotes_an_id_number_or_a_name() -> None:
    row = {"err_detail": f"certno {ID_NO} psn_name=张三 not found", "err_code": "E1001"}

    masked = mask_personal(row)

    assert masked == {
        "err_detail": f"certno {MASKED_ID_NO} psn_name=张* not found",
        "err_code": "E1001",
    }


def test_a_plain_name_key_is_not_a_person() -> None:
    """``name`` names catalogue items, regions and diseases in this relay, never a person."""
    item = {"med_list_codg": "X1", "name": "阿莫西林胶囊"}

    assert mask_personal(item) == item


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", ""),
        (650102196001010023, MASKED_ID_NO),
        ("E12345678901", "E1********01"),
    ],
    ids=["none", "empty", "as-a-number", "passport"],
)
def test_odd_certificate_values(value: object, expected: object) -> None:
    assert mask_personal({"certno": value}) == {"certno": expected}


@pytest.mark.parametrize("value", ["1960", "unknown"])
def test_a_birth_date_that_is_not_a_date_is_hidden_whole(value: str) -> None:
    assert mask_personal({"brdy": value}) == {"brdy": "*" * len(value)}


@pytest.mark.parametrize("value", [None, 3, "text", [1, "a"]], ids=repr)
def test_scalars_and_lists_without_keys_pass_through(value: object) -> None:
    assert mask_personal(value) == value
