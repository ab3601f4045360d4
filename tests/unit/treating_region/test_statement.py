"""Hospital reconciliation's pure parts (3201 totals, 3202 detail files): a table of cases each."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from services.treating_region.domain import statement
from services.treating_region.domain.statement import (
    BALANCED,
    DIFFERENT,
    NOT_HERE,
    FileProblem,
    Row,
    Totals,
)

D = Decimal


def zipped(text: str, name: str = "detail.txt", encoding: str = "utf-8") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, text.encode(encoding))
    return out.getvalue()


def corrupted() -> bytes:
    """A deflated member whose stream is damaged past the local header."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("d.txt", ROWS * 50)
    raw = bytearray(out.getvalue())
    for i in range(40, 60):
        raw[i] ^= 0xFF
    return bytes(raw)


HELD = Totals(D("300.00"), D("200.00"), D("20.00"), 3)


@pytest.mark.parametrize(
    ("stated", "result", "says"),
    [
        (Totals(D("300.00"), D("200.00"), D("20.00"), 3), BALANCED, "对账平：3 笔"),
        (Totals(D("300"), D("200.0"), D("20"), 3), BALANCED, "医疗费总额 300.00"),
        (Totals(D("310.00"), D("200.00"), D("20.00"), 3), DIFFERENT,
         "医疗费总额：医院 310.00，经办机构 300.00"),
        (Totals(D("300.00"), D("200.00"), D("20.00"), 4), DIFFERENT,
         "结算笔数：医院 4，经办机构 3"),
        (Totals(D("300.00"), D("199.99"), D("0.00"), 3), DIFFERENT, "个人账户支付总额：医院 0.00"),
    ],
)  # fmt: skip
def test_3201_says_which_figure_differs(stated: Totals, result: str, says: str) -> None:
    found = statement.compare_totals(stated, HELD)
    assert found.stmt_rslt == result
    assert says in found.description


ROWS = "S1\tM1\tP1\t100.00\t60.00\t10.00\t0\nS2\tM2\tP2\t50\t30\t0\t0\n"


@pytest.mark.parametrize(
    "data",
    [
        zipped(ROWS),
        zipped("setl_id\tmdtrt_id\tpsn_no\tmedfee_sumamt\tfund_pay_sumamt\tacct_pay\t"
               "refd_setl_flag\r\n" + ROWS.replace("\n", "\r\n") + "\r\n"),
        zipped(ROWS, encoding="utf-8-sig"),
        zipped(ROWS, encoding="gbk"),
        ROWS.encode(),  # a bare TXT, not zipped
    ],
)  # fmt: skip
def test_a_detail_file_is_read_whatever_its_form(data: bytes) -> None:
    rows = statement.read_detail_file(data)
    assert [(r.setl_id, r.medfee_sumamt, r.fund_pay_sumamt) for r in rows] == [
        ("S1", D("100.00"), D("60.00")),
        ("S2", D("50.00"), D("30.00")),
    ]


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (zipped("S1\tM1\tP1\t100.00\t60.00\n"), "第 1 行有 5 列"),
        (zipped(ROWS + "S3\tM3\tP3\tabc\t1\t0\t0\n"), "第 3 行第 4 列 medfee_sumamt"),
        (zipped("S1\tM1\tP1\t1\t1\tNaN\t0\n"), "第 1 行第 6 列 acct_pay"),
        (zipped("S1\tM1\tP1\t1\t1\t0\t2\n"), "第 1 行第 7 列 refd_setl_flag"),
        (zipped("\tM1\tP1\t1\t1\t0\t0\n"), "第 1 行第 1 列 setl_id"),
        (b"PK\x03\x04 not really a zip", "不是有效的 ZIP"),
        (zipped(ROWS, encoding="utf-16"), "既不是 UTF-8 也不是 GBK"),
        (zipped(ROWS + ROWS), "第 3 行第 1 列 setl_id S1 重复"),
        (zipped("S1\tM1\tP1\t10.005\t1\t0\t0\n"), "第 1 行第 4 列 medfee_sumamt.*两位小数"),
        (zipped("S1\tM1\tP1\t1e30\t1\t0\t0\n"), "第 1 行第 4 列 medfee_sumamt"),
        (corrupted(), "不是有效的 ZIP"),
    ],
)
def test_a_file_that_cannot_be_read_names_the_line_and_column(data: bytes, named: str) -> None:
    with pytest.raises(FileProblem, match=named):
        statement.read_detail_file(data)


def test_a_zip_of_two_files_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", ROWS)
        archive.writestr("b.txt", ROWS)
    with pytest.raises(FileProblem, match="只含一个 TXT"):
        statement.read_detail_file(out.getvalue())


def row(setl_id: str, medfee: str = "100.00", flag: str = "0") -> Row:
    return Row(setl_id, "M", "P", D(medfee), D("60.00"), D("10.00"), flag, f"MSG{setl_id}")


@pytest.mark.parametrize(
    ("stated", "held", "expected"),
    [
        ([row("S1")], [row("S1")], []),
        ([row("S1"), row("S9")], [row("S1")], [("S9", NOT_HERE)]),
        ([row("S1")], [row("S1"), row("S2")], [("S2", DIFFERENT)]),
        ([row("S1", medfee="99.00")], [row("S1")], [("S1", DIFFERENT)]),
        ([row("S1", flag="1")], [row("S1")], [("S1", DIFFERENT)]),
    ],
)
def test_3202_lists_each_disagreeing_settlement_with_its_reason(
    stated: list[Row], held: list[Row], expected: list[tuple[str, str]]
) -> None:
    found = statement.compare_details(stated, held)
    assert [(d.row.setl_id, d.stmt_rslt) for d in found] == expected
    assert all(d.memo for d in found)


def test_the_result_file_is_a_zip_of_one_tab_separated_txt_with_null_for_empty() -> None:
    found = statement.compare_details([row("S1", medfee="99.00")], [row("S1")])
    data = statement.result_file(found, "H11000000001_20260101_20260131")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        [name] = archive.namelist()
        lines = archive.read(name).decode().splitlines()
    assert name == "H11000000001_20260101_20260131.txt"
    assert lines[0].split("\t") == list(statement.RESULT_COLUMNS)
    cells = dict(zip(statement.RESULT_COLUMNS, lines[1].split("\t"), strict=True))
    assert (cells["setl_id"], cells["stmt_rslt"], cells["medfee_sumamt"]) == (
        "S1", DIFFERENT, "99.00",
    )  # fmt: skip
    assert "医疗费总额" in cells["memo"]
    assert cells["msgid"] == "MSGS1"
    empty = statement.result_file(
        [statement.Disagreement(Row("S2", None, None, D(1), D(0), D(0), "0"), NOT_HERE, "x")],
        "n",
    )
    with zipfile.ZipFile(io.BytesIO(empty)) as archive:
        assert archive.read("n.txt").decode().splitlines()[1].startswith("null\tnull\tS2\tnull")
