"""Fee lines of a visit: upload (2301/2204, split by this region's catalogue) and cancel
(2302/2205). Kept at the treating region only; each call is one transaction on the visit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from services.treating_region.adapters import visits
from services.treating_region.domain.catalogue import CatalogueEntry
from services.treating_region.domain.split import FeeLine, LineRefused, LineSplit, split_line
from services.treating_region.domain.visit import Action
from services.treating_region.service_layer.commands import CancelLines, FeeLineIn, UploadLines
from services.treating_region.service_layer.context import TreatingContext, check, visit_of
from services.treating_region.service_layer.unit_of_work import UnitOfWork
from shared.envelope import NationalRequest
from shared.errors import E3002, E3003, E3004, E3005, E3009, E9002, RelayError
from shared.money import format_amount

ALL_LINES = "0000"
"""The ``feedetl_sn`` that cancels every unsettled line of the visit."""


def _line_result(split: LineSplit, entry: CatalogueEntry | None) -> dict[str, Any]:
    return {
        "feedetl_sn": split.feedetl_sn,
        "det_item_fee_sumamt": format_amount(split.det_item_fee_sumamt),
        "cnt": str(split.cnt),
        "pric": str(split.pric),
        "pric_uplmt_amt": str(split.pric_uplmt_amt) if split.pric_uplmt_amt is not None else None,
        "selfpay_prop": str(split.selfpay_prop),
        "fulamt_ownpay_amt": format_amount(split.fulamt_ownpay_amt),
        "overlmt_amt": format_amount(split.overlmt_amt),
        "preselfpay_amt": format_amount(split.preselfpay_amt),
        "inscp_scp_amt": format_amount(split.inscp_scp_amt),
        "chrgitm_lv": split.chrgitm_lv,
        "med_chrgitm_type": split.med_chrgitm_type,
        "bas_medn_flag": "0",
        "hi_nego_drug_flag": "0",
        "chld_medc_flag": "0",
        "list_sp_item_flag": "0",
        "lmt_used_flag": "0",
        "drt_reim_flag": "1" if split.inscp_scp_amt else "0",
        "memo": None if entry is not None else "目录外项目，全自费",
    }


async def upload(
    ctx: TreatingContext, request: NationalRequest, command: UploadLines
) -> dict[str, Any]:
    """2301 / 2204: every line split, or none kept."""
    mdtrt_ids = {line.mdtrt_id for line in command.lines}
    psn_nos = {line.psn_no for line in command.lines}
    if len(mdtrt_ids) != 1 or len(psn_nos) != 1:
        raise RelayError(
            E9002,
            detail="字段 feedetail：一次上传只能包含同一次就诊（同一 mdtrt_id、psn_no）的明细",
        )
    mdtrt_id, psn_no = mdtrt_ids.pop(), psn_nos.pop()
    catalogue = ctx.catalogues.get(request.mdtrtarea_admvs, {})
    async with ctx.uow() as uow:
        visit = await visit_of(uow, request, mdtrt_id, psn_no)
        if visit.inpatient != command.inpatient:
            raise RelayError(E3002, detail="住院明细请用 2301 上传，门诊明细请用 2204")
        check(visit, Action.UPLOAD_LINES)
        existing = {line.feedetl_sn: line for line in await uow.visits.lines(mdtrt_id)}
        seen: set[str] = set()
        accepted: list[visits.NewLine] = []
        results = []
        for line in command.lines:
            if line.feedetl_sn in existing or line.feedetl_sn in seen:
                raise RelayError(E3003, detail=line.feedetl_sn)
            seen.add(line.feedetl_sn)
            if line.cnt < 0 or line.refund_of:
                await _check_refund(uow, mdtrt_id, line, existing)
            entry = catalogue.get(line.med_list_codg)
            split = _split(line, entry)
            accepted.append(
                visits.NewLine(
                    split, line.refund_of, line.med_list_codg, line.hospital_code, line.occurred_at
                )
            )
            results.append(_line_result(split, entry))
        try:
            await uow.visits.add_lines(mdtrt_id, accepted, request.msgid)
        except asyncpg.UniqueViolationError as exc:
            # a concurrent upload took a feedetl_sn first
            raise RelayError(E3003, detail="feedetl_sn 已被同时上传的明细使用") from exc
        await uow.commit()
    return {"result": results}


def _split(line: FeeLineIn, entry: CatalogueEntry | None) -> LineSplit:
    """The line split by this region's catalogue (design §5); a negative amount only as a
    refund (checked before)."""
    if not (line.cnt < 0 or line.refund_of) and (line.amount < 0 or line.pric < 0):
        raise RelayError(
            E9002,
            detail=f"字段 det_item_fee_sumamt：明细 {line.feedetl_sn} 金额或单价为负，"
            "但不是退费（退费须数量 cnt 为负并填写 init_feedetl_sn）",
        )
    fee_line = FeeLine(
        line.feedetl_sn, line.med_list_codg, line.pric, line.cnt, line.amount, line.category
    )
    try:
        return split_line(fee_line, entry)
    except LineRefused as exc:
        raise RelayError(E3005, detail=str(exc)) from exc


async def _check_refund(
    uow: UnitOfWork,
    mdtrt_id: str,
    line: FeeLineIn,
    existing: Mapping[str, visits.StoredLine],
) -> None:
    """A refund: negative cnt, the original's feedetl_sn and item, never more than was given."""
    original = existing.get(line.refund_of or "")
    if (
        line.cnt >= 0
        or original is None
        or original.status != "active"
        or original.med_list_codg != line.med_list_codg
    ):
        raise RelayError(E3004, detail=f"{line.feedetl_sn} → {line.refund_of}")
    refunded = await uow.visits.refunded_cnt(mdtrt_id, original.feedetl_sn)
    if original.cnt + refunded + line.cnt < 0:
        raise RelayError(E3004, detail=f"退费明细 {line.feedetl_sn} 的退费数量超过原明细数量")


async def cancel(
    ctx: TreatingContext, request: NationalRequest, command: CancelLines
) -> dict[str, Any]:
    """2302/2205: one line, several, or ``"0000"`` for every unsettled line of the visit."""
    mdtrt_ids = {line.mdtrt_id for line in command.lines}
    psn_nos = {line.psn_no for line in command.lines}
    if len(mdtrt_ids) != 1 or len(psn_nos) != 1:
        raise RelayError(
            E9002, detail="字段 data：一次撤销只能包含同一次就诊（同一 mdtrt_id、psn_no）的明细"
        )
    mdtrt_id, psn_no = mdtrt_ids.pop(), psn_nos.pop()
    wanted = [line.feedetl_sn for line in command.lines]
    async with ctx.uow() as uow:
        visit = await visit_of(uow, request, mdtrt_id, psn_no)
        check(visit, Action.CANCEL_LINES)
        if ALL_LINES in wanted:
            count = await uow.visits.cancel_lines(mdtrt_id, None)
        else:
            active = {
                line.feedetl_sn
                for line in await uow.visits.lines(mdtrt_id)
                if line.status == "active" and line.setl_id is None
            }
            missing = [sn for sn in wanted if sn not in active]
            if missing:
                raise RelayError(E3009, detail=", ".join(missing[:5]))
            count = await uow.visits.cancel_lines(mdtrt_id, wanted)
        await uow.commit()
    return {"result": {"mdtrt_id": mdtrt_id, "cancelled": count}}
