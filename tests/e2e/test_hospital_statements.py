"""Hospital reconciliation as HIS clients call it (design §8): 3201 totals balanced and not, and
3202 with the file flow — 9101 upload of a ZIP holding a TAB-separated TXT, 3202 naming it, the
result file by 9102 — listing the one settlement that disagrees, with its reason."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from bench.stack import database_url
from shared import clock
from tests.e2e.harness import E2E_SUFFIX, Stack
from tests.e2e.hospital import Hospital
from tests.e2e.test_reversal_kinds import INSURED, filed_person, settled_visit

pytestmark = pytest.mark.e2e

D = Decimal
CLINIC = "H11000000004"
"""An institution few other tests use; its ledger is still read, not assumed."""


async def ledger_rows(day: str) -> list[dict[str, Any]]:
    """What the institution's HIS was answered for the day: the treating region's ledger."""
    conn = await asyncpg.connect(database_url("treating_region", E2E_SUFFIX, driver="postgresql"))
    try:
        rows = await conn.fetch(
            """SELECT setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay,
                      refd_setl_flag
                 FROM settlement
                WHERE fixmedins_code = $1 AND insuplc_admdvs = $2
                  AND ((setlinfo->>'setl_time')::timestamptz AT TIME ZONE 'UTC'
                       + interval '8 hours')::date = $3""",
            CLINIC,
            INSURED,
            date.fromisoformat(day),
        )
    finally:
        await conn.close()
    return [dict(r) for r in rows]


def period(day: str) -> dict[str, str]:
    return {"setl_optins": INSURED, "stmt_begndate": day, "stmt_enddate": f"{day} 23:59:59"}


def detail_zip(rows: list[dict[str, Any]]) -> bytes:
    text = "".join(
        "\t".join(
            str(r[c]) for c in ("setl_id", "mdtrt_id", "psn_no", "medfee_sumamt",
                                "fund_pay_sumamt", "acct_pay", "refd_setl_flag")
        ) + "\r\n"
        for r in rows
    )  # fmt: skip
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("detail.txt", text)
    return out.getvalue()


async def test_3201_balanced_and_unbalanced_and_3202_finds_the_one_row_that_differs(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    clinic = Hospital(ahttp, stack, CLINIC, "110000")
    for _ in range(2):
        await settled_visit(clinic, await filed_person(ahttp, stack))
    day = clock.today().isoformat()
    rows = await ledger_rows(day)
    assert len(rows) >= 2

    totals = {
        **period(day),
        "medfee_sumamt": str(sum((r["medfee_sumamt"] for r in rows), D(0))),
        "fund_pay_sumamt": float(sum((r["fund_pay_sumamt"] for r in rows), D(0))),  # a number
        "acct_pay": str(sum((r["acct_pay"] for r in rows), D(0))),
        "fixmedins_setl_cnt": str(len(rows)),  # a string where a number is meant
    }
    balanced = clinic.envelope("3201", INSURED, {"data": totals})
    answer = await clinic.send(balanced)
    assert answer["infcode"] == 0, answer
    assert answer["output"]["stmtinfo"]["stmt_rslt"] == "000000"
    assert f"对账平：{len(rows)} 笔" in answer["output"]["stmtinfo"]["stmt_rslt_dscr"]
    assert (await clinic.send(balanced))["output"] == answer["output"]  # the same answer again

    off = await clinic.ok(
        "3201", INSURED, {"data": {**totals, "fixmedins_setl_cnt": len(rows) + 1}}
    )
    assert off["stmtinfo"]["stmt_rslt"] == "000103"
    assert (
        f"结算笔数：医院 {len(rows) + 1}，经办机构 {len(rows)}" in off["stmtinfo"]["stmt_rslt_dscr"]
    )

    # 3202: the same settlements in a file, one with another total
    changed = rows[0]["setl_id"]
    stated = [
        {**r, "medfee_sumamt": r["medfee_sumamt"] + D("1.00")} if r["setl_id"] == changed else r
        for r in rows
    ]
    upload = await clinic.ok(
        "9101",
        INSURED,
        {"fsUploadIn": {"in": list(detail_zip(stated)), "filename": "detail.zip"}},
    )
    result = await clinic.ok(
        "3202", INSURED, {"data": {**period(day), "file_qury_no": upload["file_qury_no"]}}
    )
    assert result["stmtinfo"]["stmt_rslt"] == "000103"
    download = await clinic.ok(
        "9102", INSURED, {"fsDownloadIn": {"file_qury_no": result["fileinfo"]["file_qury_no"]}}
    )
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(download["file"]))) as archive:
        [name] = archive.namelist()
        lines = archive.read(name).decode().splitlines()
    header, *found = (line.split("\t") for line in lines)
    assert [dict(zip(header, f, strict=True))["setl_id"] for f in found] == [changed]
    cells = dict(zip(header, found[0], strict=True))
    assert cells["stmt_rslt"] == "000103"
    assert "医疗费总额" in cells["memo"]

    # another institution can neither use the file nor read the result
    other = Hospital(ahttp, stack, "H11000000005", "110000")
    stranger = await other.call(
        "9102", INSURED, {"fsDownloadIn": {"file_qury_no": result["fileinfo"]["file_qury_no"]}}
    )
    assert stranger["err_code"] == "E9002"


async def test_a_detail_file_that_cannot_be_read_names_its_line_and_column(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    clinic = Hospital(ahttp, stack, CLINIC, "110000")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("d.txt", "S1\tM1\tP1\t10.00\t5.00\t0.00\t0\nS2\tM2\tP2\t十元\t5\t0\t0\n")
    upload = await clinic.ok(
        "9101",
        INSURED,
        {"fsUploadIn": {"in": base64.b64encode(out.getvalue()).decode(), "filename": "d.zip"}},
    )
    day = clock.today().isoformat()
    refused = await clinic.call(
        "3202", INSURED, {"data": {**period(day), "file_qury_no": upload["file_qury_no"]}}
    )
    assert refused["err_code"] == "E6007", refused
    assert "第 2 行第 4 列 medfee_sumamt" in refused["err_msg"]
    bad = await clinic.call("9101", INSURED, {"fsUploadIn": {"in": "%%%", "filename": "d.zip"}})
    assert bad["err_code"] == "E9002"
    assert "fsUploadIn.in" in bad["err_msg"], bad
