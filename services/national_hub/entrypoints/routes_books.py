"""Operators' routes on the hub's books (design §8): entries, a day's three-way reconciliation, a
month's clearing with its notices and confirmations, the prepayment gauges. JSON, or CSV with
``?format=csv`` for the reconciliation and the clearing."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.national_hub.adapters import books as store
from services.national_hub.service_layer import books
from services.national_hub.settings import Settings
from shared import clock
from shared.errors import E6006, RelayError
from shared.operator_access import OPERATOR_RESPONSES, OperatorDep, operator_access
from shared.runtime import Runtime
from shared.statement import parse_day
from shared.web import plain

router = APIRouter(tags=["books"], responses=OPERATOR_RESPONSES)

Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _csv(rows: list[dict[str, Any]], name: str) -> Response:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/books", summary="Operators: book entries by day, month, settlement or msgid")
async def read_books(
    request: Request,
    operator: OperatorDep,
    day: Annotated[str | None, Query(max_length=10)] = None,
    month: Annotated[str | None, Query(max_length=7)] = None,
    setl_id: Annotated[str | None, Query(max_length=30)] = None,
    msgid: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
) -> list[dict[str, Any]]:
    rows = await store.find(
        _runtime(request).pool,
        day=parse_day(day, clock.today()) if day else None,
        month=books.month_named(month) if month else None,
        setl_id=setl_id,
        msgid=msgid,
        limit=limit,
    )
    return operator.view(plain(rows))


@router.get(
    "/reconciliation/{day}",
    summary="Operators: a business day's three-way reconciliation (treating ledger, the hub's "
    "books, insured ledger) per region pair, with every break and what resolves it",
    dependencies=[Depends(operator_access)],
)
async def reconcile(request: Request, day: str, format: Format = "json") -> Any:
    settings = _settings(request)
    on = parse_day(day, clock.today())
    sources = books.Sources(
        settings.treating_url, settings.insured_url, settings.peer_operator_token
    )
    async with httpx.AsyncClient(timeout=15.0, trust_env=False) as http:
        report = await books.reconcile_day(_runtime(request).pool, http, sources, on)
    body = books.report_json(report)
    if format == "csv":
        return _csv(body["breaks"], f"reconciliation-{on:%Y%m%d}")
    return body


@router.get(
    "/clearing",
    summary="Operators: the months cleared, those with entries still to clear, and the "
    "warnings of 第四十九条 (a month two months late, a year past the next first quarter)",
    dependencies=[Depends(operator_access)],
)
async def clearing_overview(request: Request) -> dict[str, Any]:
    return await books.overview(_runtime(request).pool, clock.today())


@router.post(
    "/clearing/{month}",
    summary="Operators: generate a month's clearing (once the month is over; generating "
    "again answers the same statement)",
    dependencies=[Depends(operator_access)],
)
async def generate_clearing(request: Request, month: str) -> dict[str, Any]:
    found = await books.generate(_runtime(request).pool, books.month_named(month), clock.today())
    return books.statement_json(found)


@router.get(
    "/clearing/{month}",
    summary="Operators: a month's clearing — lines per payer and payee (marked * for returns "
    "and late entries of cleared months) and each party's payment and receipt notice",
    dependencies=[Depends(operator_access)],
)
async def read_clearing(request: Request, month: str, format: Format = "json") -> Any:
    pool = _runtime(request).pool
    found = await books.statement_of(pool, books.month_named(month))
    body = books.statement_json(found)
    if format == "csv":
        return _csv(body["lines"], f"clearing-{found.month}")
    return {**body, "confirmations": plain(await store.confirmations(pool, found.month))}


class ConfirmationIn(BaseModel):
    party: str = Field(pattern=r"^\d{6}$", description="province (cross) or pool (intra)")
    side: Literal["treating", "insured"]


@router.post(
    "/clearing/{month}/confirmations",
    summary="Operators: a side confirms its lines of a month's clearing (the treating side "
    "what it receives, the insured side what it pays); a repeat answers the first",
    dependencies=[Depends(operator_access)],
)
async def confirm_clearing(request: Request, month: str, body: ConfirmationIn) -> dict[str, Any]:
    return await books.confirm(
        _runtime(request).pool, books.month_named(month), body.party, body.side
    )


@router.get(
    "/clearing/{month}/institutions/{fixmedins_code}",
    summary="Operators (and the treating region, for 3260): an institution's rows in a "
    "month's clearing, marked * as the month's lines are",
    dependencies=[Depends(operator_access)],
)
async def read_institution_clearing(
    request: Request, month: str, fixmedins_code: str
) -> dict[str, Any]:
    return await books.institution_rows(
        _runtime(request).pool, books.month_named(month), fixmedins_code
    )


class InstitutionConfirmationIn(BaseModel):
    entries: int = Field(ge=0, description="the rows' count, as 3260 gave it")
    amount: Decimal = Field(max_digits=14, decimal_places=2, description="what they move, yuan")


@router.post(
    "/clearing/{month}/institutions/{fixmedins_code}/confirmation",
    summary="Operators (and the treating region, for 3261): an institution confirms its rows "
    "of a month's clearing by their count and amount; a repeat answers the first",
    dependencies=[Depends(operator_access)],
)
async def confirm_institution_clearing(
    request: Request, month: str, fixmedins_code: str, body: InstitutionConfirmationIn
) -> dict[str, Any]:
    return await books.confirm_institution(
        _runtime(request).pool, books.month_named(month), fixmedins_code, body.entries, body.amount
    )


@router.get(
    "/prepayment",
    summary="Operators: each insured province's prepayment gauge (usage, quota, level) and "
    "the warnings raised (70 % yellow, 90 % red with an emergency top-up request)",
    dependencies=[Depends(operator_access)],
)
async def read_prepayment(request: Request) -> dict[str, Any]:
    settings = _settings(request)
    pool = _runtime(request).pool
    found = await books.gauges(
        pool,
        clock.today(),
        configured=settings.prepayment_quotas,
        minimum=settings.prepayment_minimum_quota,
    )
    return {
        "today": clock.today().isoformat(),
        "gauges": [
            {
                "province": g.province,
                "quota": str(g.quota),
                "usage": str(g.usage),
                "ratio": str(g.ratio),
                "level": g.level.value,
            }
            for g in found
        ],
        "events": plain(await store.prepayment_events(pool)),
    }


@router.get(
    "/prepayment/history",
    summary="Operators: each province's prepayment gauge at the end of each business day "
    "between two days (the gauges over time)",
    dependencies=[Depends(operator_access)],
)
async def read_prepayment_history(
    request: Request,
    begins: Annotated[str, Query(alias="from", max_length=10)],
    ends: Annotated[str, Query(alias="to", max_length=10)],
) -> list[dict[str, Any]]:
    today = clock.today()
    rows = await store.prepayment_days(
        _runtime(request).pool, parse_day(begins, today), parse_day(ends, today)
    )
    days: list[dict[str, Any]] = plain(rows)
    return days


class QuotaIn(BaseModel):
    quota: Decimal = Field(gt=0, max_digits=14, decimal_places=2, description="yuan")


@router.put(
    "/prepayment/{province}",
    summary="Operators: set an insured province's prepayment quota (第二十八条: fixed each "
    "January, raised by an emergency top-up); the gauges follow at once",
    dependencies=[Depends(operator_access)],
)
async def set_quota(request: Request, province: str, body: QuotaIn) -> dict[str, Any]:
    if province not in books.provinces():
        raise RelayError(E6006, detail=f"省级区划 {province} 不在本平台")
    await store.set_quota(_runtime(request).pool, province, body.quota)
    return {"province": province, "quota": str(body.quota)}
