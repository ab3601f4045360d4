"""What the treating region does for each hospital transaction (issue 4; design §2–§5).

Local transactions (discharge, fee lines, changes) touch only this region's database; relayed
ones (person info, admission and registration checks, settlement, filings) go through the hub to
the insured region. A settle moves the visit to ``settling`` before it leaves, so a second settle
cannot start while the first is on its way; the answer moves it on.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.treating_region.adapters import ledger, messages, sign_ins
from services.treating_region.adapters import visits as repo
from services.treating_region.domain.catalogue import CatalogueEntry, Institution
from services.treating_region.domain.categories import Totals, by_category, totals_of
from services.treating_region.domain.split import FeeLine, LineRefused, LineSplit, split_line
from services.treating_region.domain.visit import Action, VisitState, transition
from services.treating_region.entrypoints import schemas as s
from shared import infno
from shared import settlement as contract
from shared.envelope import (
    CHINA_TZ,
    NationalRequest,
    RelayEnvelope,
    national_time,
    spec_form_owner,
)
from shared.errors import (
    E3001,
    E3002,
    E3003,
    E3004,
    E3005,
    E3006,
    E3007,
    E3008,
    E3009,
    E4007,
    E4008,
    E5002,
    E9002,
    E9006,
    E9009,
    E9010,
    RelayError,
    lookup,
)
from shared.infra_errors import BROKER_DOWN
from shared.messaging import RelayClient, ReplyTimeout
from shared.money import MAX_AMOUNT, ZERO, format_amount, to_cents


@dataclass(frozen=True, slots=True)
class TreatingContext:
    engine: AsyncEngine
    pool: asyncpg.Pool
    relay: RelayClient
    catalogues: Mapping[str, Mapping[str, CatalogueEntry]]
    institutions: Mapping[str, Institution]
    deadline_s: float


@dataclass(frozen=True, slots=True)
class Answered:
    """Output the handler already stored as the message's answer, with its effect."""

    output: dict[str, Any]


Handler = Callable[
    [TreatingContext, NationalRequest, Any], Awaitable[dict[str, Any] | Answered | None]
]


def insured_region(request: NationalRequest) -> str:
    """The insured region the hospital named; required wherever nothing else can tell it."""
    if request.insuplc_admdvs is None:
        raise RelayError(
            E9002, detail="字段 insuplc_admdvs：必填，未填写（参保地医保区划，可先用 1101 查询）"
        )
    return request.insuplc_admdvs


async def relay(
    ctx: TreatingContext,
    request: NationalRequest,
    payload: dict[str, Any],
    *,
    insured: str | None = None,
) -> dict[str, Any]:
    """Send through the hub and wait; an error reply is raised as its catalogue error.

    ``insured`` is the region the message goes to when something better than the hospital's
    ``insuplc_admdvs`` knows it (the visit, the original message); ``""`` lets the hub find it.
    """
    envelope = ctx.relay.new_request(
        msgid=request.msgid,
        infno=request.infno,
        sender_admdvs=request.mdtrtarea_admvs,
        mdtrtarea_admvs=request.mdtrtarea_admvs,
        insuplc_admdvs=insured_region(request) if insured is None else insured,
        fixmedins_code=request.fixmedins_code,
        payload=payload,
        deadline_s=ctx.deadline_s,
    )
    try:
        reply = await ctx.relay.request(envelope)
    except ReplyTimeout as exc:
        raise RelayError(E5002, detail=request.msgid) from exc
    except BROKER_DOWN as exc:
        # the publish may or may not have reached the broker: the outcome is unknown, not failed
        raise RelayError(E5002, detail=f"报文 {request.msgid}：与国家平台的连接中断") from exc
    if reply.err_code:
        raise RelayError(lookup(reply.err_code), detail=reply.err_detail or "")
    return reply.payload


async def passthrough(
    ctx: TreatingContext, request: NationalRequest, typed: BaseModel
) -> dict[str, Any]:
    """2501–2504, 5206: the insured region answers; nothing is kept here."""
    return await relay(ctx, request, typed.model_dump(mode="json", exclude_none=True))


async def on_1101(ctx: TreatingContext, request: NationalRequest, typed: s.Input1101) -> Any:
    """1101 is how a hospital learns the insured region: real clients send ``insuplc_admdvs``
    absent, blank or as the treating area. Then the hub finds the region in the national
    person index (design §4)."""
    named = request.insuplc_admdvs
    insured = "" if named in (None, request.mdtrtarea_admvs) else named
    payload = typed.model_dump(mode="json", exclude_none=True)
    return await relay(ctx, request, payload, insured=insured)


async def on_9001(ctx: TreatingContext, request: NationalRequest, typed: s.Input9001) -> Any:
    """签到: the ``sign_no`` the institution's operator sends on every later call."""
    now = datetime.now(CHINA_TZ)
    sign_no = uuid.uuid4().hex
    await sign_ins.sign_in(
        ctx.pool,
        sign_no=sign_no,
        fixmedins_code=request.fixmedins_code,
        opter_no=typed.signIn.opter_no,
        mac=typed.signIn.mac,
        ip=typed.signIn.ip,
        at=now,
    )
    return {"signinoutb": {"sign_time": national_time(now), "sign_no": sign_no}}


async def on_9002(ctx: TreatingContext, request: NationalRequest, typed: s.Input9002) -> Any:
    """签退: the sign-in is closed; a later call under it is refused where sign-in is required."""
    now = datetime.now(CHINA_TZ)
    closed = await sign_ins.sign_out(
        ctx.pool, sign_no=typed.signOut.sign_no, fixmedins_code=request.fixmedins_code, at=now
    )
    if not closed:
        raise RelayError(E9010, detail=f"sign_no {typed.signOut.sign_no[:64]}")
    return {"signoutoutb": {"sign_time": national_time(now)}}


NETWORKED_FOR = {
    "inpatient": "住院",
    "outpatient": "门诊",
    "pharmacy": "药店购药",
    "chronic": "门诊慢特病",
}
"""The Institution flag a transaction needs, as the clerk calls that kind of care."""


def _institution(ctx: TreatingContext, request: NationalRequest, *, need: str) -> Institution:
    inst = ctx.institutions[request.fixmedins_code]  # designated here: the gateway checked
    if not getattr(inst, need):
        raise RelayError(
            E3006, detail=f"{inst.fixmedins_name} 未开通{NETWORKED_FOR[need]}异地联网结算"
        )
    return inst


async def _visit(
    conn: Any,
    request: NationalRequest,
    mdtrt_id: str,
    psn_no: str,
    *,
    lock: bool = True,
) -> repo.VisitRecord:
    return _own(await repo.get_visit(conn, mdtrt_id, lock=lock), request, mdtrt_id, psn_no)


def _own(
    visit: repo.VisitRecord | None, request: NationalRequest, mdtrt_id: str, psn_no: str
) -> repo.VisitRecord:
    """The visit, if it is this institution's and this person's; E3001 otherwise."""
    if visit is None or visit.fixmedins_code != request.fixmedins_code or visit.psn_no != psn_no:
        raise RelayError(E3001, detail=mdtrt_id)
    return visit


def _same_region(request: NationalRequest, visit: repo.VisitRecord) -> None:
    """A settle or cancel goes to the visit's insured region; another one named is a mistake
    (an absent one, or the treating area, the gateway has already taken from the visit)."""
    if request.insuplc_admdvs not in (None, visit.insuplc_admdvs):
        raise RelayError(
            E9002,
            detail=f"字段 insuplc_admdvs：{request.insuplc_admdvs} 与就诊登记的参保地 "
            f"{visit.insuplc_admdvs} 不一致",
        )


def _check(visit: repo.VisitRecord, action: Action) -> VisitState:
    return transition(VisitState(visit.state), action, inpatient=visit.inpatient)


# ---------------------------------------------------------------- admission and registration
async def _register(
    ctx: TreatingContext,
    request: NationalRequest,
    data: s.Admission | s.Registration,
    *,
    inpatient: bool,
    number: str,
) -> dict[str, Any]:
    need = "inpatient" if inpatient else ("pharmacy" if data.med_type == "41" else "outpatient")
    inst = _institution(ctx, request, need=need)
    answer = await relay(
        ctx,
        request,
        {
            "psn_no": data.psn_no,
            "insutype": data.insutype,
            "med_type": data.med_type,
            "begntime": _china_date(data.begntime).isoformat(),
            "emergency": data.emergency_flag,
            "trum_flag": data.trum_flag,
            "rel_ttp_flag": data.rel_ttp_flag,
            "medins_lv": inst.medins_lv,
        },
    )
    result = answer.get("result") or {}
    mdtrt_id = str(result.get("mdtrt_id") or "")
    if not mdtrt_id:
        raise RelayError(E9002, detail="参保地应答中缺少 mdtrt_id")
    async with ctx.engine.begin() as conn:
        await repo.add_visit(
            conn,
            mdtrt_id=mdtrt_id,
            fixmedins_code=request.fixmedins_code,
            psn_no=data.psn_no,
            insutype=data.insutype,
            insuplc_admdvs=insured_region(request),
            mdtrtarea_admvs=request.mdtrtarea_admvs,
            inpatient=inpatient,
            med_type=data.med_type,
            state=(VisitState.ADMITTED if inpatient else VisitState.REGISTERED).value,
            begntime=data.begntime,
            endtime=None,
            emergency=data.emergency_flag,
            trum_flag=data.trum_flag,
            rel_ttp_flag=data.rel_ttp_flag,
            ipt_otp_no=number,
            opsp_dise_code=None,
            details=data.model_dump(mode="json", exclude_none=True),
        )
    return {
        "mdtrt_id": mdtrt_id,
        "psn_no": data.psn_no,
        "ipt_otp_no": number,
        "filing_category": result.get("filing_category"),
        "coverage": result.get("coverage"),
    }


async def on_2401(ctx: TreatingContext, request: NationalRequest, typed: s.Input2401) -> Any:
    result = await _register(
        ctx, request, typed.mdtrtinfo, inpatient=True, number=typed.mdtrtinfo.ipt_no
    )
    return {"result": result}


async def on_2201(ctx: TreatingContext, request: NationalRequest, typed: s.Input2201) -> Any:
    result = await _register(
        ctx, request, typed.data, inpatient=False, number=typed.data.ipt_otp_no
    )
    return {"data": result}


async def on_2402(ctx: TreatingContext, request: NationalRequest, typed: s.Input2402) -> Any:
    d = typed.dscginfo
    async with ctx.engine.begin() as conn:
        visit = await _visit(conn, request, d.mdtrt_id, d.psn_no)
        state = _check(visit, Action.DISCHARGE)
        if d.endtime < visit.begntime:
            raise RelayError(E9002, detail="字段 dscginfo.endtime：出院时间早于入院时间")
        await repo.set_visit(conn, d.mdtrt_id, state=state.value, endtime=d.endtime)
    return {"result": {"mdtrt_id": d.mdtrt_id, "state": state.value}}


async def on_2403(ctx: TreatingContext, request: NationalRequest, typed: s.Input2403) -> Any:
    d = typed.adminfo
    async with ctx.engine.begin() as conn:
        visit = await _visit(conn, request, d.mdtrt_id, d.psn_no)
        _check(visit, Action.CHANGE)
        changes: dict[str, Any] = {}
        for name, column in (
            ("begntime", "begntime"),
            ("med_type", "med_type"),
            ("ipt_no", "ipt_otp_no"),
            ("emergency_flag", "emergency"),
            ("trum_flag", "trum_flag"),
            ("rel_ttp_flag", "rel_ttp_flag"),
        ):
            value = getattr(d, name)
            if value is not None:
                changes[column] = value
        if changes:
            await repo.set_visit(conn, d.mdtrt_id, **changes)
    return {"result": {"mdtrt_id": d.mdtrt_id, "changed": sorted(changes)}}


async def _undo(
    ctx: TreatingContext, request: NationalRequest, ref: s.VisitRef, action: Action
) -> dict[str, Any]:
    async with ctx.engine.begin() as conn:
        visit = await _visit(conn, request, ref.mdtrt_id, ref.psn_no)
        state = _check(visit, action)
        if action is Action.CANCEL_ADMISSION and any(
            line.status == "active" for line in await repo.lines_of(conn, ref.mdtrt_id)
        ):
            raise RelayError(E3002, detail="请先撤销费用明细（2302），再取消入院")
        extra = {"endtime": None} if action is Action.CANCEL_DISCHARGE else {}
        await repo.set_visit(conn, ref.mdtrt_id, state=state.value, **extra)
    return {"result": {"mdtrt_id": ref.mdtrt_id, "state": state.value}}


async def on_2404(ctx: TreatingContext, request: NationalRequest, typed: s.Input2404) -> Any:
    return await _undo(ctx, request, typed.data, Action.CANCEL_ADMISSION)


async def on_2405(ctx: TreatingContext, request: NationalRequest, typed: s.Input2405) -> Any:
    return await _undo(ctx, request, typed.data, Action.CANCEL_DISCHARGE)


async def on_2203(ctx: TreatingContext, request: NationalRequest, typed: s.Input2203) -> Any:
    d = typed.mdtrtinfo
    async with ctx.engine.begin() as conn:
        visit = await _visit(conn, request, d.mdtrt_id, d.psn_no)
        _check(visit, Action.CHANGE)
        if visit.inpatient:
            raise RelayError(E3002, detail="2203 只用于门诊就诊，住院请用 2403")
        if d.med_type == "14":
            _institution(ctx, request, need="chronic")
        changes: dict[str, Any] = {"med_type": d.med_type}
        for name, column in (
            ("opsp_dise_code", "opsp_dise_code"),
            ("begntime", "begntime"),
            ("emergency_flag", "emergency"),
            ("trum_flag", "trum_flag"),
            ("rel_ttp_flag", "rel_ttp_flag"),
        ):
            value = getattr(d, name)
            if value is not None:
                changes[column] = value
        await repo.set_visit(conn, d.mdtrt_id, **changes)
    return {"result": {"mdtrt_id": d.mdtrt_id, "med_type": d.med_type}}


# ---------------------------------------------------------------- fee lines
def _line_result(split: Any, entry: CatalogueEntry | None) -> dict[str, Any]:
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


async def _upload(
    ctx: TreatingContext, request: NationalRequest, lines: list[s.FeeDetail], *, inpatient: bool
) -> dict[str, Any]:
    mdtrt_ids = {line.mdtrt_id for line in lines}
    psn_nos = {line.psn_no for line in lines}
    if len(mdtrt_ids) != 1 or len(psn_nos) != 1:
        raise RelayError(
            E9002,
            detail="字段 feedetail：一次上传只能包含同一次就诊（同一 mdtrt_id、psn_no）的明细",
        )
    mdtrt_id, psn_no = mdtrt_ids.pop(), psn_nos.pop()
    catalogue = ctx.catalogues.get(request.mdtrtarea_admvs, {})
    async with ctx.engine.begin() as conn:
        visit = await _visit(conn, request, mdtrt_id, psn_no)
        if visit.inpatient != inpatient:
            raise RelayError(E3002, detail="住院明细请用 2301 上传，门诊明细请用 2204")
        _check(visit, Action.UPLOAD_LINES)
        existing = {line.feedetl_sn: line for line in await repo.lines_of(conn, mdtrt_id)}
        seen: set[str] = set()
        accepted: list[tuple[dict[str, Any], Any]] = []
        results = []
        for line in lines:
            if line.feedetl_sn in existing or line.feedetl_sn in seen:
                raise RelayError(E3003, detail=line.feedetl_sn)
            seen.add(line.feedetl_sn)
            if line.cnt < 0 or line.init_feedetl_sn:
                await _check_refund(conn, mdtrt_id, line, existing)
            elif line.det_item_fee_sumamt < 0 or line.pric < 0:
                raise RelayError(
                    E9002,
                    detail=f"字段 det_item_fee_sumamt：明细 {line.feedetl_sn} 金额或单价为负，"
                    "但不是退费（退费须数量 cnt 为负并填写 init_feedetl_sn）",
                )
            entry = catalogue.get(line.med_list_codg)
            try:
                split = split_line(
                    FeeLine(
                        line.feedetl_sn,
                        line.med_list_codg,
                        line.pric,
                        line.cnt,
                        line.det_item_fee_sumamt,
                        line.med_chrgitm_type,
                    ),
                    entry,
                )
            except LineRefused as exc:
                raise RelayError(E3005, detail=str(exc)) from exc
            accepted.append((line.model_dump(), split))
            results.append(_line_result(split, entry))
        try:
            await repo.add_lines(conn, mdtrt_id, accepted, request.msgid)
        except IntegrityError as exc:  # a concurrent upload took a feedetl_sn first
            raise RelayError(E3003, detail="feedetl_sn 已被同时上传的明细使用") from exc
    return {"result": results}


async def _check_refund(
    conn: Any, mdtrt_id: str, line: s.FeeDetail, existing: Mapping[str, repo.StoredLine]
) -> None:
    """A refund: negative cnt, the original's feedetl_sn and item, never more than was given."""
    original = existing.get(line.init_feedetl_sn or "")
    if (
        line.cnt >= 0
        or original is None
        or original.status != "active"
        or original.med_list_codg != line.med_list_codg
    ):
        raise RelayError(E3004, detail=f"{line.feedetl_sn} → {line.init_feedetl_sn}")
    refunded = await repo.refunded_cnt(conn, mdtrt_id, original.feedetl_sn)
    if original.cnt + refunded + line.cnt < 0:
        raise RelayError(E3004, detail=f"退费明细 {line.feedetl_sn} 的退费数量超过原明细数量")


async def on_2301(ctx: TreatingContext, request: NationalRequest, typed: s.Input2301) -> Any:
    return await _upload(ctx, request, typed.feedetail, inpatient=True)


async def on_2204(ctx: TreatingContext, request: NationalRequest, typed: s.Input2204) -> Any:
    return await _upload(ctx, request, typed.feedetail, inpatient=False)


async def on_line_cancel(ctx: TreatingContext, request: NationalRequest, typed: s.Input2302) -> Any:
    """2302/2205: one line, several, or ``"0000"`` for every unsettled line of the visit."""
    mdtrt_ids = {c.mdtrt_id for c in typed.data}
    psn_nos = {c.psn_no for c in typed.data}
    if len(mdtrt_ids) != 1 or len(psn_nos) != 1:
        raise RelayError(
            E9002, detail="字段 data：一次撤销只能包含同一次就诊（同一 mdtrt_id、psn_no）的明细"
        )
    mdtrt_id, psn_no = mdtrt_ids.pop(), psn_nos.pop()
    wanted = [c.feedetl_sn for c in typed.data]
    async with ctx.engine.begin() as conn:
        visit = await _visit(conn, request, mdtrt_id, psn_no)
        _check(visit, Action.CANCEL_LINES)
        if "0000" in wanted:
            count = await repo.cancel_lines(conn, mdtrt_id, None)
        else:
            active = {
                x.feedetl_sn
                for x in await repo.lines_of(conn, mdtrt_id)
                if x.status == "active" and x.setl_id is None
            }
            missing = [sn for sn in wanted if sn not in active]
            if missing:
                raise RelayError(E3009, detail=", ".join(missing[:5]))
            count = await repo.cancel_lines(conn, mdtrt_id, wanted)
    return {"result": {"mdtrt_id": mdtrt_id, "cancelled": count}}


# ---------------------------------------------------------------- settlement
def _amounts_match(d: s.SettleRequest, totals: Any) -> list[str]:
    pairs = [
        ("medfee_sumamt", d.medfee_sumamt, totals.medfee_sumamt),
        ("fulamt_ownpay_amt", d.fulamt_ownpay_amt, totals.fulamt_ownpay_amt),
        ("overlmt_selfpay", d.overlmt_selfpay, totals.overlmt_selfpay),
        ("preselfpay_amt", d.preselfpay_amt, totals.preselfpay_amt),
        ("inscp_scp_amt", d.inscp_scp_amt, totals.inscp_scp_amt),
    ]
    return [
        f"{name} {sent} 与费用明细合计 {ours} 不一致"
        for name, sent, ours in pairs
        if sent is not None and sent != ours
    ]


async def _settleable(
    ctx: TreatingContext,
    request: NationalRequest,
    d: s.SettleRequest,
    *,
    inpatient: bool,
    store: bool,
) -> tuple[repo.VisitRecord, list[LineSplit], Totals]:
    """The visit (moved to ``settling`` for a settle), its lines and their totals, checked.

    A compare-and-set into ``settling`` (it waits for, then shuts out, any upload: no line comes
    or goes while a visit is settling), then the lines; a failed check moves the visit back. Two
    autocommitted statements, not a transaction: the checks that name what is wrong with the
    visit run only when the compare-and-set fails. A crash between the two leaves the visit
    ``settling`` under a message still pending, which is what an unknown outcome looks like and
    is cleared the same way (the hospital's query, then 2601).
    """
    if store:
        opened = VisitState.DISCHARGED if inpatient else VisitState.REGISTERED
        visit = await repo.to_settling(
            ctx.pool,
            d.mdtrt_id,
            request.fixmedins_code,
            d.psn_no,
            inpatient,
            opened.value,
            transition(opened, Action.SETTLE, inpatient=inpatient).value,
        )
        if visit is None:
            await _diagnose(ctx, request, d, inpatient=inpatient, action=Action.SETTLE)
            raise RelayError(E3002, detail=f"就诊 {d.mdtrt_id} 状态刚刚变化，请重试")
    else:
        visit = await _diagnose(ctx, request, d, inpatient=inpatient, action=Action.PRE_SETTLE)
    try:
        _same_region(request, visit)
        lines = await repo.active_splits_on(ctx.pool, d.mdtrt_id)
        if not lines:
            raise RelayError(E3008, detail=d.mdtrt_id)
        totals = totals_of(lines)
        if abs(totals.medfee_sumamt) >= MAX_AMOUNT:  # no settlement column could hold it
            raise RelayError(
                E9002, detail=f"字段 medfee_sumamt：费用合计 {totals.medfee_sumamt} 超出上限"
            )
        problems = _amounts_match(d, totals)
        if problems:
            raise RelayError(E3007, detail="；".join(problems))
    except Exception:
        if store:
            await _reopen(ctx, d.mdtrt_id, inpatient=inpatient)
        raise
    return visit, lines, totals


async def _reopen(ctx: TreatingContext, mdtrt_id: str, *, inpatient: bool) -> None:
    """A settle refused (here, or by the insured region): the visit opens again."""
    state = transition(VisitState.SETTLING, Action.SETTLE_REFUSED, inpatient=inpatient)
    async with ctx.engine.begin() as conn:
        await repo.move_visit(conn, mdtrt_id, VisitState.SETTLING.value, state.value)


async def _diagnose(
    ctx: TreatingContext,
    request: NationalRequest,
    d: s.SettleRequest,
    *,
    inpatient: bool,
    action: Action,
) -> repo.VisitRecord:
    """The visit, or the error that says why it cannot be (pre-)settled."""
    visit = _own(await repo.get_visit_on(ctx.pool, d.mdtrt_id), request, d.mdtrt_id, d.psn_no)
    if visit.inpatient != inpatient:
        raise RelayError(E3002, detail="住院请用 2303/2304，门诊请用 2206/2207")
    _check(visit, action)
    return visit


async def on_settle(ctx: TreatingContext, request: NationalRequest, typed: s.Input2303) -> Any:
    d = typed.data
    inpatient = request.infno in infno.INPATIENT
    store = request.infno in infno.SETTLE
    visit, lines, totals = await _settleable(ctx, request, d, inpatient=inpatient, store=store)
    try:
        payload = _settlement_payload(ctx, visit, d, lines, totals, inpatient=inpatient)
    except ValidationError as exc:  # what the insured region would refuse: refused here
        if store:
            await _reopen(ctx, d.mdtrt_id, inpatient=inpatient)
        where = ".".join(str(part) for part in exc.errors()[0]["loc"])
        raise RelayError(E9002, detail=f"字段 {where}：超出结算接口的取值范围") from exc
    try:
        answer = await relay(
            ctx, request, payload.model_dump(mode="json"), insured=visit.insuplc_admdvs
        )
    except RelayError as exc:
        if store and exc.code != E5002.code:  # refused: the visit opens again
            await _reopen(ctx, d.mdtrt_id, inpatient=inpatient)
        raise  # E5002: the visit stays "settling" until the outcome is known
    if store:
        categories = [c.model_dump(mode="json") for c in payload.categories]
        entry = ledger.entry_of(
            answer, msgid=request.msgid, infno=request.infno, categories=categories
        )
        await ledger.record(ctx.pool, entry, answered=answer)
        return Answered(answer)
    return answer


def _cents(value: Decimal) -> Decimal:
    """Whole cents, as the wire has always carried them (``12.50``, never ``-0.00``)."""
    return to_cents(value) if value else ZERO


def _settlement_payload(
    ctx: TreatingContext,
    visit: repo.VisitRecord,
    d: s.SettleRequest,
    lines: list[LineSplit],
    totals: Totals,
    *,
    inpatient: bool,
) -> contract.SettlementPayload:
    """The settlement contract the insured region parses (``shared/settlement.py``)."""
    return contract.SettlementPayload(
        psn_no=d.psn_no,
        insutype=d.insutype or visit.insutype,
        mdtrt_id=d.mdtrt_id,
        med_type=visit.med_type,
        medins_lv=ctx.institutions[visit.fixmedins_code].medins_lv,
        begntime=_china_date(visit.begntime),
        endtime=_china_date(visit.endtime or visit.begntime),
        emergency=visit.emergency,
        trum_flag=visit.trum_flag,
        rel_ttp_flag=visit.rel_ttp_flag,
        acct_used_flag=d.acct_used_flag,
        opsp_dise_code=visit.opsp_dise_code,
        medfee_sumamt=_cents(totals.medfee_sumamt),
        fulamt_ownpay_amt=_cents(totals.fulamt_ownpay_amt),
        overlmt_selfpay=_cents(totals.overlmt_selfpay),
        preselfpay_amt=_cents(totals.preselfpay_amt),
        inscp_scp_amt=_cents(totals.inscp_scp_amt),
        categories=tuple(
            contract.CategoryTotal(
                med_chrgitm_type=c.med_chrgitm_type,
                det_item_fee_sumamt=_cents(c.det_item_fee_sumamt),
                fulamt_ownpay_amt=_cents(c.fulamt_ownpay_amt),
                overlmt_amt=_cents(c.overlmt_amt),
                preselfpay_amt=_cents(c.preselfpay_amt),
                inscp_scp_amt=_cents(c.inscp_scp_amt),
            )
            for c in (by_category(lines) if inpatient else ())
        ),
        lines=()
        if inpatient
        else tuple(
            contract.SplitLine(
                feedetl_sn=x.feedetl_sn,
                med_chrgitm_type=x.med_chrgitm_type,
                det_item_fee_sumamt=_cents(x.det_item_fee_sumamt),
                fulamt_ownpay_amt=_cents(x.fulamt_ownpay_amt),
                overlmt_amt=_cents(x.overlmt_amt),
                preselfpay_amt=_cents(x.preselfpay_amt),
                inscp_scp_amt=_cents(x.inscp_scp_amt),
            )
            for x in lines
        ),
    )


def _china_date(moment: datetime) -> date:
    """Dates of care are China dates, whatever zone the database hands the time back in."""
    return moment.astimezone(CHINA_TZ).date()


async def on_cancel(ctx: TreatingContext, request: NationalRequest, typed: s.Input2305) -> Any:
    d = typed.data
    inpatient = request.infno == "2305"
    async with ctx.engine.begin() as conn:
        visit = await _visit(conn, request, d.mdtrt_id, d.psn_no)
        if visit.inpatient != inpatient:
            raise RelayError(E3002, detail="住院撤销结算请用 2305，门诊请用 2208")
        _check(visit, Action.CANCEL_SETTLEMENT)
        _same_region(request, visit)
        original = await repo.settlement(conn, d.setl_id)
        if original is None or original["mdtrt_id"] != d.mdtrt_id:
            raise RelayError(E3001, detail=f"setl_id {d.setl_id}")
        await repo.move_visit(conn, d.mdtrt_id, visit.state, VisitState.CANCELLING.value)
    try:
        cancel = contract.CancelPayload(psn_no=d.psn_no, setl_id=d.setl_id, mdtrt_id=d.mdtrt_id)
        answer = await relay(
            ctx, request, {"data": cancel.model_dump(mode="json")}, insured=visit.insuplc_admdvs
        )
    except RelayError as exc:
        if exc.code != E5002.code:
            async with ctx.engine.begin() as conn:
                await repo.move_visit(
                    conn, d.mdtrt_id, VisitState.CANCELLING.value, VisitState.SETTLED.value
                )
        raise
    entry = ledger.entry_of(answer, msgid=request.msgid, infno=request.infno)
    await ledger.record(ctx.pool, entry, answered=answer)
    return Answered(answer)


async def on_2601(ctx: TreatingContext, request: NationalRequest, typed: s.Input2601) -> Any:
    """冲正 (design §4): undo the original at every hop that saw it, or refuse it if it is late.

    The original's msgid is spent either way: a tombstone if it has not come yet, ``reversed``
    if it has. Where later business rests on the original (fee lines on an admission, a refund
    of an uploaded line, a settlement after a cancel) the reversal is refused with E4008.
    """
    d = typed.data
    stored = await messages.find(ctx.pool, d.omsgid)
    owner = stored.fixmedins_code if stored is not None else spec_form_owner(d.omsgid)
    if owner is not None and owner != request.fixmedins_code:
        raise RelayError(E9009, detail="一家机构只能冲正本机构的报文")
    if stored is None:
        await messages.tombstone(
            ctx.pool,
            msgid=d.omsgid,
            infno=d.oinfno,
            fixmedins_code=request.fixmedins_code,
            mdtrtarea_admvs=request.mdtrtarea_admvs,
            insuplc_admdvs=insured_region(request),
            inf_refmsgid=request.msgid,
        )
    else:
        if stored.infno != d.oinfno:
            raise RelayError(
                E9002,
                detail=f"字段 oinfno：原报文 {d.omsgid} 是 {stored.infno} 交易，不是 {d.oinfno}",
            )
        if stored.status == "pending" and not stored.stuck(ctx.deadline_s):
            raise RelayError(E9006, detail=d.omsgid)
        if stored.status == "reversed" and d.oinfno not in infno.SETTLE:
            return _reversed(d, "already reversed")
    # the reversal goes where the original went, whatever this request names
    insured = stored.insuplc_admdvs if stored and stored.insuplc_admdvs else insured_region(request)
    if d.oinfno in infno.UPLOAD:
        answer = await _reverse_upload(ctx, request, d, stored)
        await _spend(ctx, d.omsgid, request.msgid)
        return answer
    if d.oinfno in infno.CANCEL:
        answer, mdtrt_id = await _reverse_cancel(ctx, request, d, insured)
        return await apply_reversal(ctx, request, answer, mdtrt_hint=d.mdtrt_id or mdtrt_id)
    if d.oinfno in infno.REGISTER:
        await _check_registration_reversible(ctx, request, d, stored)
    answer = await _relay_reversal(ctx, request, d, insured)
    return await apply_reversal(ctx, request, answer, mdtrt_hint=d.mdtrt_id)


async def _spend(ctx: TreatingContext, omsgid: str, by: str) -> None:
    """The original's msgid is spent: a repeat of it is refused (E4007)."""
    await messages.answer(
        ctx.pool, omsgid, status="reversed", err_code=E4007.code, err_detail=f"已被报文 {by} 冲正"
    )


async def apply_reversal(
    ctx: TreatingContext,
    source: NationalRequest | RelayEnvelope,
    answer: dict[str, Any],
    *,
    mdtrt_hint: str | None = None,
) -> dict[str, Any]:
    """What the insured region's answer to a 2601 means here — on time or as a late reply.

    Idempotent: a settlement is recorded once, a visit moves only from the states it can.
    """
    result = answer.get("result") or {}
    omsgid, oinfno = str(result.get("omsgid") or ""), result.get("oinfno")
    if not omsgid:
        return answer
    info = answer.get("setlinfo") or {}
    mdtrt_id = mdtrt_hint or info.get("mdtrt_id")
    if oinfno in infno.SETTLE:
        if info:  # the settlement's negative mirror: the visit opens again
            await ledger.record(
                ctx.pool, ledger.entry_of(answer, msgid=source.msgid, infno=source.infno)
            )
        elif mdtrt_id:  # a tombstone: a settle still on its way will be refused
            await _move_if(ctx, mdtrt_id, VisitState.SETTLING, Action.SETTLE_REFUSED)
    elif oinfno in infno.CANCEL and mdtrt_id:
        await _apply_cancel_reversal(ctx, omsgid, mdtrt_id, result)
    elif oinfno in infno.REGISTER:
        mdtrt_id = _visit_of(await messages.find(ctx.pool, omsgid))
        if mdtrt_id is not None:
            await _cancel_registered_visit(ctx, mdtrt_id)
            answer = {**answer, "result": {**result, "mdtrt_id": mdtrt_id}}
    await _spend(ctx, omsgid, source.msgid)
    return answer


async def _move_if(ctx: TreatingContext, mdtrt_id: str, state: VisitState, action: Action) -> None:
    async with ctx.engine.begin() as conn:
        visit = await repo.get_visit(conn, mdtrt_id, lock=True)
        if visit is not None and visit.state == state.value:
            target = transition(state, action, inpatient=visit.inpatient)
            await repo.move_visit(conn, mdtrt_id, visit.state, target.value)


def _reversed(d: s.ReversalRequest, what: str, **more: Any) -> dict[str, Any]:
    return {"result": {"omsgid": d.omsgid, "oinfno": d.oinfno, "reversed": what, **more}}


async def _relay_reversal(
    ctx: TreatingContext, request: NationalRequest, d: s.ReversalRequest, insured: str
) -> dict[str, Any]:
    return await relay(
        ctx,
        request,
        {"data": {"psn_no": d.psn_no, "omsgid": d.omsgid, "oinfno": d.oinfno}},
        insured=insured,
    )


async def _reverse_upload(
    ctx: TreatingContext,
    request: NationalRequest,
    d: s.ReversalRequest,
    stored: messages.StoredMessage | None,
) -> dict[str, Any]:
    """The lines of that upload are cancelled, unless settled or refunded since."""
    if stored is None:
        return _reversed(d, "tombstone")
    async with ctx.engine.begin() as conn:
        lines = await repo.lines_uploaded_by(conn, d.omsgid)
        if not lines:  # the upload was refused: nothing of it is kept
            return _reversed(d, "nothing kept")
        mdtrt_id = lines[0].mdtrt_id
        visit = await _visit(conn, request, mdtrt_id, d.psn_no)
        _check(visit, Action.CANCEL_LINES)
        if any(line.setl_id is not None for line in lines):
            raise RelayError(E4008, detail=f"报文 {d.omsgid} 上传的明细已结算")
        sns = [line.feedetl_sn for line in lines]
        if await repo.refunds_of(conn, mdtrt_id, sns, other_than=d.omsgid):
            raise RelayError(E4008, detail=f"报文 {d.omsgid} 上传的明细之后已有退费")
        count = await repo.cancel_upload(conn, d.omsgid)
    return _reversed(d, "fee lines", mdtrt_id=mdtrt_id, cancelled=count)


def _visit_of(stored: messages.StoredMessage | None) -> str | None:
    """The mdtrt_id an admission (2401 ``result``) or registration (2201 ``data``) answered."""
    output = (stored.output if stored is not None else None) or {}
    part = output.get("result") or output.get("data") or {}
    return str(part["mdtrt_id"]) if isinstance(part, dict) and part.get("mdtrt_id") else None


async def _check_registration_reversible(
    ctx: TreatingContext,
    request: NationalRequest,
    d: s.ReversalRequest,
    stored: messages.StoredMessage | None,
) -> None:
    """The visit must still be as admitted: no fee lines, nothing after it."""
    mdtrt_id = _visit_of(stored)
    if mdtrt_id is None:
        return
    async with ctx.engine.begin() as conn:
        visit = await _visit(conn, request, mdtrt_id, d.psn_no, lock=False)
        _check(visit, Action.REVERSE_REGISTRATION)
        if any(line.status == "active" for line in await repo.lines_of(conn, mdtrt_id)):
            raise RelayError(
                E4008, detail=f"就诊 {mdtrt_id} 已有费用明细，请先撤销明细（2302/2205）"
            )


async def _cancel_registered_visit(ctx: TreatingContext, mdtrt_id: str) -> None:
    """The visit is cancelled — unless fee lines came meanwhile (the insured region keeps
    nothing for a registration, so the visit simply stays as it is then)."""
    async with ctx.engine.begin() as conn:
        visit = await repo.get_visit(conn, mdtrt_id, lock=True)
        if visit is None:
            return
        if any(line.status == "active" for line in await repo.lines_of(conn, mdtrt_id)):
            raise RelayError(E4008, detail=f"就诊 {mdtrt_id} 在冲正期间上传了费用明细")
        state = transition(VisitState(visit.state), Action.REVERSE_REGISTRATION, inpatient=True)
        await repo.move_visit(conn, mdtrt_id, visit.state, state.value)


async def _reverse_cancel(
    ctx: TreatingContext, request: NationalRequest, d: s.ReversalRequest, insured: str
) -> tuple[dict[str, Any], str | None]:
    """The cancelled settlement stands again on both sides, its lines settled by it again.

    While the reversal is on its way the visit is ``cancelling`` again: no settle, no upload
    can start on it (a new settlement there and the reinstated one would both stand).
    """
    moved: tuple[str, str] | None = None
    async with ctx.engine.begin() as conn:
        mirror = await repo.settlement_by_msgid(conn, d.omsgid)
        if mirror is not None:
            visit = await _visit(conn, request, mirror["mdtrt_id"], d.psn_no)
            _check(visit, Action.REVERSE_CANCEL)
            if await repo.unsettled_total(conn, visit.mdtrt_id) != -mirror["medfee_sumamt"]:
                raise RelayError(
                    E4008, detail=f"就诊 {visit.mdtrt_id} 的费用明细在撤销结算后已有变化"
                )
            if visit.state != VisitState.CANCELLING.value:
                await repo.move_visit(
                    conn, visit.mdtrt_id, visit.state, VisitState.CANCELLING.value
                )
                moved = (visit.mdtrt_id, visit.state)
    try:
        answer = await _relay_reversal(ctx, request, d, insured)
    except RelayError as exc:
        if moved is not None and exc.code != E5002.code:  # refused: as it was
            async with ctx.engine.begin() as conn:
                await repo.move_visit(conn, moved[0], VisitState.CANCELLING.value, moved[1])
        raise  # E5002: it stays cancelling until the outcome is known
    return answer, mirror["mdtrt_id"] if mirror is not None else None


async def _apply_cancel_reversal(
    ctx: TreatingContext, omsgid: str, mdtrt_id: str, result: dict[str, Any]
) -> None:
    if result.get("reversed") in ("cancel", "already reversed"):
        setl_id = result.get("init_setl_id")
        await ledger.reinstate(
            ctx.pool,
            cancel_msgid=omsgid,
            mdtrt_id=mdtrt_id,
            setl_id=str(setl_id) if setl_id else None,
        )
    else:  # the cancel never got there
        await _move_if(ctx, mdtrt_id, VisitState.CANCELLING, Action.CANCEL_REFUSED)


HANDLERS: dict[str, Handler] = {
    "1101": on_1101, "9001": on_9001, "9002": on_9002,
    "2501": passthrough, "2502": passthrough, "2503": passthrough, "2504": passthrough,
    "5206": passthrough,
    "2401": on_2401, "2402": on_2402, "2403": on_2403, "2404": on_2404, "2405": on_2405,
    "2201": on_2201, "2203": on_2203,
    "2301": on_2301, "2302": on_line_cancel, "2204": on_2204, "2205": on_line_cancel,
    "2303": on_settle, "2304": on_settle, "2206": on_settle, "2207": on_settle,
    "2305": on_cancel, "2208": on_cancel, "2601": on_2601,
}  # fmt: skip
