"""The insured region's daily statement (日对账单) for the hub's reconciliation, and what the
platform told it (operators)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.insured_region.adapters import ledger, notices
from shared import clock
from shared.operator_access import OPERATOR_RESPONSES, operator_access
from shared.runtime import Runtime
from shared.statement import parse_day, row_of

router = APIRouter()


@router.get(
    "/admin/ledger/{day}",
    tags=["reconciliation"],
    summary="Operators: the settlements and cancel mirrors this ledger files under a business "
    "day (the insured side of the daily reconciliation)",
    responses=OPERATOR_RESPONSES,
    dependencies=[Depends(operator_access)],
)
async def day_statement(request: Request, day: str) -> dict[str, Any]:
    runtime: Runtime = request.app.state.runtime
    on = parse_day(day, clock.today())
    rows = await ledger.day_statement(runtime.pool, on)
    return {"day": on.isoformat(), "side": "insured", "settlements": [row_of(r) for r in rows]}


@router.get(
    "/admin/notices",
    tags=["notices"],
    summary="Operators: what the platform told this region — its province's prepayment "
    "warnings (70 % yellow, 90 % red with an emergency top-up request), as received",
    responses=OPERATOR_RESPONSES,
    dependencies=[Depends(operator_access)],
)
async def read_notices(
    request: Request,
    admdvs: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    runtime: Runtime = request.app.state.runtime
    return await notices.listing(runtime.pool, admdvs, limit)
