"""shared.logging: correlation ids on every record; id numbers and names never in clear."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from shared.logging import ContextFilter, mask_id_no, mask_name, mask_text, msgid_var, relay_id_var

ID_NO = "110105194912310021"
ID_NO_X = "11010519491231002X"
MSGID = "H11010500001202611231015000001"


def make_record(msg: object, args: tuple[object, ...] | None = None) -> logging.LogRecord:
    return logging.LogRecord("relay.test", logging.INFO, __file__, 1, msg, args, None)


@pytest.fixture
def correlation() -> Iterator[tuple[str, str]]:
    relay_token = relay_id_var.set("5b1f6a0e-0000-4000-8000-000000000001")
    msgid_token = msgid_var.set(MSGID)
    try:
        yield relay_id_var.get(), msgid_var.get()
    finally:
        msgid_var.reset(msgid_token)
        relay_id_var.reset(relay_token)


@pytest.mark.parametrize(
    ("id_no", "expected"),
    [
        (ID_NO, "110105********0021"),
        (ID_NO_X, "110105********002X"),
        ("11010519491231002x", "110105********002x"),
    ],
)
def test_mask_id_no_keeps_region_prefix_and_last_four(id_no: str, expected: str) -> None:
    assert mask_id_no(id_no) == expected


@pytest.mark.parametrize("id_no", [None, ""], ids=repr)
def test_mask_id_no_of_nothing_is_empty(id_no: str | None) -> None:
    assert mask_id_no(id_no) == ""


@pytest.mark.parametrize("id_no", ["1", "1234", "12345678"])
def test_mask_id_no_hides_short_numbers_entirely(id_no: str) -> None:
    assert mask_id_no(id_no) == "*" * len(id_no)


@pytest.mark.parametrize("id_no", ["E12345678901", "123456789012345"])
def test_mask_id_no_hides_the_middle_of_other_certificates(id_no: str) -> None:
    masked = mask_id_no(id_no)
    assert len(masked) == len(id_no)
    assert "*" in masked
    assert masked != id_no


@pytest.mark.parametrize("id_no", ["E12345678", "H123456789"])
def test_mask_id_no_hides_nine_and_ten_character_certificates(id_no: str) -> None:
    masked = mask_id_no(id_no)
    assert len(masked) == len(id_no)
    assert "*" in masked


@pytest.mark.parametrize(
    ("name", "expected"),
    [("张三", "张*"), ("王小明", "王**"), ("欧阳娜娜", "欧***"), ("李", "李")],
)
def test_mask_name_keeps_the_family_name(name: str, expected: str) -> None:
    assert mask_name(name) == expected


@pytest.mark.parametrize("name", [None, ""], ids=repr)
def test_mask_name_of_nothing_is_empty(name: str | None) -> None:
    assert mask_name(name) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"certno={ID_NO} ok", "certno=110105********0021 ok"),
        (f"certno={ID_NO_X}, name=张*", "certno=110105********002X, name=张*"),
        ("certno=11010519491231002x.", "certno=110105********002x."),
        (f"{ID_NO}", "110105********0021"),
        (f"a {ID_NO} b {ID_NO_X}", "a 110105********0021 b 110105********002X"),
        (f"身份证号{ID_NO_X}查无此人", "身份证号110105********002X查无此人"),
    ],
)
def test_mask_text_masks_every_id_number(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "no numbers here",
        f"msgid {MSGID}",
        "amount 12345678901234567 (17 digits)",
        "1101050194912310021 has 19 digits",
        "relay 5b1f6a0e-0000-4000-8000-000000000001",
    ],
)
def test_mask_text_leaves_other_text_alone(text: str) -> None:
    assert mask_text(text) == text


@pytest.mark.usefixtures("correlation")
def test_context_filter_masks_id_numbers_in_args() -> None:
    record = make_record("1101 for certno %s name %s", (ID_NO_X, "张*"))
    assert ContextFilter().filter(record) is True
    assert record.getMessage() == "1101 for certno 110105********002X name 张*"
    assert ID_NO_X not in record.getMessage()
    assert record.args is None


@pytest.mark.usefixtures("correlation")
def test_context_filter_masks_id_numbers_in_a_mapping_arg() -> None:
    record = make_record("certno %(certno)s", ({"certno": ID_NO},))
    ContextFilter().filter(record)
    assert record.getMessage() == "certno 110105********0021"


@pytest.mark.usefixtures("correlation")
def test_context_filter_masks_id_numbers_in_the_message_itself() -> None:
    record = make_record(f"lookup {ID_NO} failed")
    ContextFilter().filter(record)
    assert record.getMessage() == "lookup 110105********0021 failed"


def test_context_filter_adds_correlation_ids(correlation: tuple[str, str]) -> None:
    relay_id, msgid = correlation
    record = make_record("hello")
    ContextFilter().filter(record)
    assert record.__dict__["relay_id"] == relay_id
    assert record.__dict__["msgid"] == msgid


def test_context_filter_defaults_to_dashes_outside_a_message() -> None:
    record = make_record("hello")
    ContextFilter().filter(record)
    assert record.__dict__["relay_id"] == "-"
    assert record.__dict__["msgid"] == "-"


def test_context_filter_keeps_a_record_whose_args_do_not_fit() -> None:
    record = make_record("two %s %s", ("only-one",))
    assert ContextFilter().filter(record) is True
    assert record.args == ("only-one",)


def test_context_filter_leaves_non_string_messages_alone() -> None:
    payload = {"certno": ID_NO}
    record = make_record(payload)
    assert ContextFilter().filter(record) is True
    assert record.msg is payload


def test_formatter_sees_the_correlation_ids(correlation: tuple[str, str]) -> None:
    relay_id, msgid = correlation
    record = make_record("certno %s", (ID_NO,))
    ContextFilter().filter(record)
    line = logging.Formatter("[%(msgid)s %(relay_id)s] %(message)s").format(record)
    assert line == f"[{msgid} {relay_id}] certno 110105********0021"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("first-generation 110105491231002 here", "first-generation 110105*****1002 here"),
        ("both 110105194912310021 and 110105491231002", "both 110105********0021 and "
         "110105*****1002"),
        ('{"psn_name": "张三", "x": 1}', '{"psn_name": "张*", "x": 1}'),
        ("psn_name=欧阳娜娜 refused", "psn_name=欧*** refused"),
        ("姓名：王伟", "姓名：王*"),
    ],
)  # fmt: skip
def test_mask_text_masks_15_digit_ids_and_names_by_their_key(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [MSGID, "H11000000001" + "20261202153000" + "AB12", "amount 1000000000000 refused"],
)
def test_mask_text_leaves_msgids_and_long_numbers_alone(text: str) -> None:
    assert mask_text(text) == text


def test_a_traceback_is_masked_too() -> None:
    from shared.logging import MaskingFormatter

    try:
        raise ValueError(f'duplicate key (certno)=({ID_NO}) psn_name="李四"')
    except ValueError:
        import sys

        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = MaskingFormatter("%(message)s").format(record)
    assert ID_NO not in line
    assert "李四" not in line
    assert "110105********0021" in line


def test_the_msgid_prefix_is_never_masked() -> None:
    """An opaque msgid of 18 digits looks like an id number: the prefix keeps it searchable."""
    from shared.logging import MaskingFormatter

    token = msgid_var.set("110105194912310021")
    try:
        record = make_record("settled")
        ContextFilter().filter(record)
        line = MaskingFormatter("[%(msgid)s] %(message)s").format(record)
    finally:
        msgid_var.reset(token)
    assert line == "[110105194912310021] settled"
