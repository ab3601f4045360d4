"""Operators' routes for supervision (design §8): co-investigation (协查) requests, answers,
extensions and confirmations and their monthly batches; audit deductions; two-way benefit flags.

The region acting names itself in the body (``insuplc_admdvs`` for the insured side,
``mdtrtarea_admvs`` for the treating side), as on the clearing confirmations; a region acts only
on settlements of its own insured or its own institutions. Personal data in a request is read
masked unless the operator has the right to see it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import ConfigDict, Field

from services.national_hub.adapters import supervision as store
from services.national_hub.domain import two_way
from services.national_hub.service_layer import books, supervision
from shared import clock
from shared.errors import E6009, E9002, RelayError
from shared.operator_access import OPERATOR_RESPONSES, OperatorDep, operator_access
from shared.runtime import Runtime
from shared.statement import parse_day
from shared.web import StorableInput, plain

router = APIRouter(tags=["supervision"], responses=OPERATOR_RESPONSES)

REGION = r"^\d{6}$"
RequestId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the request's number")]
DeductionId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the deduction's number")]


def _pool(request: Request) -> Any:
    runtime: Runtime = request.app.state.runtime
    return runtime.pool


class _Tolerant(StorableInput):
    """Numbers where text is meant are read as text (HIS and office systems write both)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)


class CoinvestigationIn(_Tolerant):
    insuplc_admdvs: str = Field(pattern=REGION, description="the requesting insured pool")
    setl_id: str = Field(max_length=30)
    certno: str | None = Field(None, max_length=30, description="身份证号码")
    psn_name: str | None = Field(None, max_length=50, description="姓名")
    gend: str | None = Field(None, max_length=1, description="性别 1/2/9")
    fixmedins_name: str | None = Field(None, max_length=200, description="医疗服务机构名称")
    ipt_no: str | None = Field(None, max_length=30, description="住院号")
    invono: str | None = Field(None, max_length=50, description="发票号码")
    begndate: str | None = Field(None, max_length=19, description="入院日期 yyyy-MM-dd")
    enddate: str | None = Field(None, max_length=19, description="出院日期 yyyy-MM-dd")
    medfee_sumamt: str | None = Field(None, max_length=20, description="费用总额")
    memo: str | None = Field(None, max_length=500, description="疑似违规情形")


class AnswerIn(_Tolerant):
    mdtrtarea_admvs: str = Field(pattern=REGION, description="the answering treating pool")
    verdict: str = Field(max_length=4, description="1 核查无误 · 2 核查有误")
    reason: str | None = Field(None, max_length=500, description="required for 核查有误")
    deduct_amt: str | None = Field(None, max_length=20, description="amount to deduct, yuan")


class TreatingIn(StorableInput):
    mdtrtarea_admvs: str = Field(pattern=REGION)


class ConfirmationIn(StorableInput):
    insuplc_admdvs: str = Field(pattern=REGION)
    agree: bool = Field(description="true: confirmed · false: disputed (say what in dispute)")
    dispute: str | None = Field(None, max_length=500)


class DeductionIn(_Tolerant):
    mdtrtarea_admvs: str = Field(pattern=REGION)
    setl_id: str = Field(max_length=30)
    amount: str = Field(max_length=20, description="yuan, taken from what the funds paid")
    reason: str = Field(max_length=500)
    agreed: bool = Field(True, description="the institution agreed (false: it disputes)")


class DecisionIn(StorableInput):
    mdtrtarea_admvs: str = Field(pattern=REGION)
    upheld: bool


@router.post("/coinvestigations", summary="Insured region: request a co-investigation (协查)")
async def raise_request(request: Request, body: CoinvestigationIn, operator: OperatorDep) -> Any:
    found = await supervision.raise_request(
        _pool(request), body.model_dump(), body.insuplc_admdvs, clock.today()
    )
    return operator.view(plain(found))


@router.get("/coinvestigations", summary="Operators: co-investigation requests")
async def read_requests(
    request: Request,
    operator: OperatorDep,
    period: Annotated[str | None, Query(max_length=7)] = None,
    insuplc_admdvs: Annotated[str | None, Query(pattern=REGION)] = None,
    mdtrtarea_admvs: Annotated[str | None, Query(pattern=REGION)] = None,
    state: Annotated[
        Literal["incomplete", "pending", "answered", "confirmed", "disputed"] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Any:
    found = await store.requests(
        _pool(request),
        period=books.month_named(period) if period else None,
        insuplc_admdvs=insuplc_admdvs,
        mdtrtarea_admvs=mdtrtarea_admvs,
        state=state,
        limit=limit,
    )
    return operator.view(plain(found))


@router.get("/coinvestigations/{request_id}", summary="Operators: one co-investigation")
async def read_request(request: Request, request_id: RequestId, operator: OperatorDep) -> Any:
    found = await store.request_of(_pool(request), request_id)
    if found is None:
        raise RelayError(E6009, detail=f"协查编号 {request_id}")
    return operator.view(plain(found))


@router.put(
    "/coinvestigations/{request_id}",
    summary="Insured region: complete a request returned for missing information (5 days)",
)
async def complete(
    request: Request, request_id: RequestId, body: CoinvestigationIn, operator: OperatorDep
) -> Any:
    found = await supervision.complete(
        _pool(request), request_id, body.model_dump(), body.insuplc_admdvs, clock.today()
    )
    return operator.view(plain(found))


@router.post(
    "/coinvestigations/{request_id}/answer",
    summary="Treating region: answer 核查无误, or 核查有误 with its reason and the amount deducted",
)
async def answer(
    request: Request, request_id: RequestId, body: AnswerIn, operator: OperatorDep
) -> Any:
    found = await supervision.answer(
        _pool(request), request_id, body.model_dump(), body.mdtrtarea_admvs, clock.today()
    )
    return operator.view(plain(found))


@router.post(
    "/coinvestigations/{request_id}/extension",
    summary="Treating region: move a request to the next period's feedback (counted)",
)
async def extend(
    request: Request, request_id: RequestId, body: TreatingIn, operator: OperatorDep
) -> Any:
    found = await supervision.extend(
        _pool(request), request_id, body.mdtrtarea_admvs, clock.today()
    )
    return operator.view(plain(found))


@router.post(
    "/coinvestigations/{request_id}/confirmation",
    summary="Insured region: confirm the answer, or dispute it",
)
async def confirm(
    request: Request, request_id: RequestId, body: ConfirmationIn, operator: OperatorDep
) -> Any:
    found = await supervision.confirm(
        _pool(request), request_id, body.model_dump(), body.insuplc_admdvs, clock.today()
    )
    return operator.view(plain(found))


@router.get(
    "/coinvestigation-batches",
    summary="Operators: the published batches (协查申请汇总表)",
    dependencies=[Depends(operator_access)],
)
async def read_batches(request: Request) -> Any:
    return plain(await store.batches(_pool(request)))


@router.get(
    "/coinvestigation-batches/{period}",
    summary="Operators: a period's batch (26th to 25th) and how its requests stand",
    dependencies=[Depends(operator_access)],
)
async def read_batch(request: Request, period: str) -> Any:
    return await supervision.batch_report(_pool(request), books.month_named(period))


@router.post(
    "/coinvestigation-batches/{period}",
    summary="Operators: publish a period's batch (from 0:00 on the 26th; the keeper does it)",
    dependencies=[Depends(operator_access)],
)
async def publish(request: Request, period: str) -> Any:
    return await supervision.publish(_pool(request), books.month_named(period), clock.today())


@router.post("/deductions", summary="Treating region: an audit deduction (审核扣款)")
async def deduct(request: Request, body: DeductionIn, operator: OperatorDep) -> Any:
    found = await supervision.deduct(
        _pool(request), body.model_dump(), body.mdtrtarea_admvs, clock.today()
    )
    return operator.view(plain(found))


@router.post(
    "/deductions/{deduction_id}/decision",
    summary="Treating region: decide a disputed deduction (upheld: into the next clearing)",
)
async def decide(
    request: Request, deduction_id: DeductionId, body: DecisionIn, operator: OperatorDep
) -> Any:
    found = await supervision.decide(
        _pool(request), deduction_id, body.model_dump(), body.mdtrtarea_admvs, clock.today()
    )
    return operator.view(plain(found))


@router.get(
    "/deductions",
    summary="Operators: audit deductions",
    dependencies=[Depends(operator_access)],
)
async def read_deductions(
    request: Request, limit: Annotated[int, Query(ge=1, le=5000)] = 500
) -> Any:
    return plain(await store.audits(_pool(request), limit))


@router.get(
    "/supervision/two-way",
    summary="Operators: persons who settled both at home and away at the same time, or went "
    "back and forth more than allowed, with their settlements as evidence (双向享受待遇)",
)
async def read_two_way(
    request: Request,
    operator: OperatorDep,
    begins: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    ends: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    overlap_days: Annotated[int, Query(ge=0, le=90)] = two_way.OVERLAP_DAYS,
    max_round_trips: Annotated[int, Query(ge=0, le=100)] = two_way.MAX_ROUND_TRIPS,
) -> Any:
    today = clock.today()
    last = _day(ends, "to", today) if ends else today
    window = timedelta(days=90)
    first = _day(begins, "from", today) if begins else max(last, date.min + window) - window
    found = await supervision.two_way_flags(
        _pool(request), first, last, two_way.Rules(overlap_days, max_round_trips)
    )
    return operator.view(
        {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "rules": {"overlap_days": overlap_days, "max_round_trips": max_round_trips},
            "flags": [_flag(f) for f in found],
        }
    )


def _day(text: str, field: str, today: date) -> date:
    try:
        return parse_day(text, today)
    except RelayError:
        raise RelayError(
            E9002, detail=f"查询日期 {field} 应为不晚于当前业务日期的年-月-日（如 2026-01-05）"
        ) from None


def _flag(flag: two_way.Flag) -> dict[str, Any]:
    def settled(s: two_way.Settled) -> dict[str, Any]:
        return {
            "day": s.day.isoformat(),
            "setl_id": s.setl_id,
            "mdtrtarea_admvs": s.mdtrtarea_admvs,
            "fixmedins_code": s.fixmedins_code,
            "at_home": s.at_home,
        }

    return {
        "psn_no": flag.psn_no,
        "insuplc_admdvs": flag.insuplc_admdvs,
        "reasons": list(flag.reasons),
        "round_trips": flag.round_trips,
        "overlaps": [[settled(h), settled(a)] for h, a in flag.overlaps],
        "evidence": [settled(s) for s in flag.evidence],
    }
