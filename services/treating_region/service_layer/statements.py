"""Hospital reconciliation (design §8): 3201 totals, and 3202 details with the file flow real
clients use — 9101 upload of the detail file, 3202 naming it, 9102 download of the result.

The hospital's figures are compared with the treating region's own ledger: what it kept of each
settlement the insured region answered (on time or late). A repeated request is answered by the
gateway's msgid idempotency, so a 3201 or 3202 sent again gets the same answer.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal
from typing import Any

from services.treating_region.adapters import statements
from services.treating_region.adapters.hub_books import HubBooks
from services.treating_region.domain import statement
from services.treating_region.service_layer import commands
from services.treating_region.service_layer.context import TreatingContext
from shared import clock
from shared.envelope import NationalRequest, national_time
from shared.errors import E6002, E6007, E9002, RelayError

KEEP_FILES = timedelta(days=7)
"""How long a result file may be downloaded (dld_endtime), in business days."""


async def _held(
    ctx: TreatingContext, request: NationalRequest, period: commands.Period
) -> list[dict[str, Any]]:
    if period.ends < period.begins:
        raise RelayError(E9002, detail="字段 stmt_enddate：对账截止日期早于开始日期")
    return await statements.held(
        ctx.pool,
        fixmedins_code=request.fixmedins_code,
        begins=period.begins,
        ends=period.ends,
        insuplc_admdvs=period.insuplc_admdvs,
        insutype=period.insutype,
        clr_type=period.clr_type,
    )


async def reconcile_totals(
    ctx: TreatingContext, request: NationalRequest, command: commands.ReconcileTotals
) -> dict[str, Any]:
    """3201: the period's count and sums here (settlements and refunds, refunds negative)
    against the hospital's; ``stmt_rslt`` and a description a clerk reads."""
    rows = await _held(ctx, request, command.period)
    held = statement.Totals(
        sum((r["medfee_sumamt"] for r in rows), Decimal("0.00")),
        sum((r["fund_pay_sumamt"] for r in rows), Decimal("0.00")),
        sum((r["acct_pay"] for r in rows), Decimal("0.00")),
        len(rows),
    )
    stated = statement.Totals(
        command.medfee_sumamt, command.fund_pay_sumamt, command.acct_pay, command.settlements
    )
    result = statement.compare_totals(stated, held)
    return {
        "stmtinfo": {
            "setl_optins": command.period.insuplc_admdvs,
            "stmt_rslt": result.stmt_rslt,
            "stmt_rslt_dscr": result.description,
        }
    }


async def upload(
    ctx: TreatingContext, request: NationalRequest, command: commands.UploadFile
) -> dict[str, Any]:
    """9101: the file is kept for the institution; its query number comes back."""
    number = await statements.keep_file(
        ctx.pool,
        fixmedins_code=request.fixmedins_code,
        kind="upload",
        filename=command.filename,
        content=command.content,
    )
    return {"file_qury_no": number, "filename": command.filename, "dld_endtime": _until()}


def _until() -> str:
    return national_time(clock.now() + KEEP_FILES)


async def reconcile_details(
    ctx: TreatingContext, request: NationalRequest, command: commands.ReconcileDetails
) -> dict[str, Any]:
    """3202: the uploaded file read and compared settlement by settlement; the result file
    (one row per disagreeing settlement, with its reason) is kept for 9102."""
    uploaded = await statements.file_of(ctx.pool, command.file_qury_no, request.fixmedins_code)
    if uploaded is None or uploaded["kind"] != "upload":
        raise RelayError(
            E9002, detail=f"字段 file_qury_no：{command.file_qury_no[:40]} 不是本机构上传的文件"
        )
    try:
        stated = statement.read_detail_file(bytes(uploaded["content"]))
    except statement.FileProblem as exc:
        raise RelayError(E6007, detail=f"{uploaded['filename'][:60]}：{exc}") from None
    held = [
        statement.Row(
            r["setl_id"], r["mdtrt_id"], r["psn_no"], r["medfee_sumamt"], r["fund_pay_sumamt"],
            r["acct_pay"], r["refd_setl_flag"], r["msgid"],
        )
        for r in await _held(ctx, request, command.period)
    ]  # fmt: skip
    disagreements = statement.compare_details(stated, held)
    name = f"{request.fixmedins_code}_{command.period.begins:%Y%m%d}_{command.period.ends:%Y%m%d}"
    number = await statements.keep_file(
        ctx.pool,
        fixmedins_code=request.fixmedins_code,
        kind="result",
        filename=f"{name}.zip",
        content=statement.result_file(disagreements, name),
    )
    return {
        "fileinfo": {"file_qury_no": number, "filename": f"{name}.zip", "dld_endtime": _until()},
        "stmtinfo": {
            "setl_optins": command.period.insuplc_admdvs,
            "stmt_rslt": statement.BALANCED if not disagreements else statement.DIFFERENT,
            "stmt_rslt_dscr": (
                f"明细对账平：{len(stated)} 笔"
                if not disagreements
                else f"明细对账不平：{len(disagreements)} 笔不一致，请以 9102 下载结果文件"
            ),
        },
    }


async def download(
    ctx: TreatingContext, request: NationalRequest, command: commands.DownloadFile
) -> dict[str, Any]:
    """9102: one of the institution's files, base64 in ``file`` (the gateway answers JSON)."""
    found = await statements.file_of(ctx.pool, command.file_qury_no, request.fixmedins_code)
    if found is None:
        raise RelayError(
            E9002, detail=f"字段 file_qury_no：{command.file_qury_no[:40]} 不是本机构的文件"
        )
    return {
        "file_qury_no": found["file_qury_no"],
        "filename": found["filename"],
        "file": base64.b64encode(bytes(found["content"])).decode(),
    }


def _hub(ctx: TreatingContext) -> HubBooks:
    if ctx.hub_books is None:
        raise RelayError(E6002, detail="本就医地未接入平台清算数据")
    return ctx.hub_books


async def clearing_rows(
    ctx: TreatingContext, request: NationalRequest, command: commands.ClearingRows
) -> dict[str, Any]:
    """3260: the institution's rows in the month's clearing, as the hub's books hold them."""
    found = await _hub(ctx).rows(command.month, request.fixmedins_code)
    return {
        "clrinfo": {
            "clr_ym": found["month"],
            "fixmedins_setl_cnt": found["entries"],
            "clr_sumamt": found["amount"],
            "cnfm_time": found["confirmed_at"],
        },
        "clrdetail": found["rows"],
    }


async def confirm_clearing(
    ctx: TreatingContext, request: NationalRequest, command: commands.ConfirmClearing
) -> dict[str, Any]:
    """3261: confirmed at the hub when the count and amount are the clearing's (else E6008)."""
    done = await _hub(ctx).confirm(
        command.month, request.fixmedins_code, command.entries, command.amount
    )
    return {"clrinfo": {"clr_ym": done["month"], "cnfm_time": done["confirmed_at"]}}
