"""3201/3202/9101/9102 as HIS clients write them: tolerant about form, strict about meaning."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.treating_region.entrypoints.schemas import Input3201, Input9101

ZIP = b"PK\x03\x04\x00\xff binary"


@pytest.mark.parametrize(
    "content",
    [list(ZIP), base64.b64encode(ZIP).decode()],
    ids=["a byte array (Java's byte[])", "base64 text"],
)
def test_a_file_comes_as_bytes_or_base64_and_is_sent_on_as_base64(content: object) -> None:
    read = Input9101.model_validate({"fsUploadIn": {"in": content, "filename": "d.zip"}})
    assert read.to_command().content == ZIP
    # the message as sent (stored, hashed) carries it as text, whatever its bytes
    assert read.as_sent()["fsUploadIn"]["content"] == base64.b64encode(ZIP).decode()


@pytest.mark.parametrize("content", ["%%% not base64", [1, 2, 300], []])
def test_a_file_that_is_neither_is_refused(content: object) -> None:
    with pytest.raises(ValidationError):
        Input9101.model_validate({"fsUploadIn": {"in": content, "filename": "d.zip"}})


def test_3201_reads_dates_amounts_and_counts_as_clients_write_them() -> None:
    read = Input3201.model_validate(
        {
            "data": {
                "setl_optins": "650100",
                "insutype": 310,
                "clr_type": "11",
                "stmt_begndate": "20260101",
                "stmt_enddate": "2026-01-31 23:59:59",
                "medfee_sumamt": Decimal("1234.5"),  # the gateway reads JSON numbers so
                "fund_pay_sumamt": "1000",
                "acct_pay": "0.00",
                "fixmedins_setl_cnt": "12",
                "unknown_extra": "ignored",
            }
        }
    )
    command = read.to_command()
    assert (command.period.begins, command.period.ends) == (date(2026, 1, 1), date(2026, 1, 31))
    assert command.medfee_sumamt == Decimal("1234.5")
    assert command.settlements == 12
    assert command.period.insutype == "310"
