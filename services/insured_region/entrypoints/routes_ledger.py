"""The insured region's daily statement (日对账单) for the hub's reconciliation (operators)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from services.insured_region.adapters import ledger
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
