"""The treating region's daily statement (日对账单) for the hub's reconciliation (operators)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from services.treating_region.adapters import ledger
from shared import clock, infno
from shared.operator_access import OPERATOR_RESPONSES, operator_access
from shared.runtime import Runtime
from shared.statement import parse_day, row_of

router = APIRouter()

OUTCOME_KNOWN_LATER = sorted(infno.SETTLE | infno.CANCEL | {infno.REVERSAL})
"""Messages whose outcome may be unknown here while the insured region has settled them."""


@router.get(
    "/admin/ledger/{day}",
    tags=["reconciliation"],
    summary="Operators: the settlements this ledger files under a business day, and the "
    "messages whose outcome is not known yet (the treating side of the daily reconciliation)",
    responses=OPERATOR_RESPONSES,
    dependencies=[Depends(operator_access)],
)
async def day_statement(request: Request, day: str) -> dict[str, Any]:
    runtime: Runtime = request.app.state.runtime
    on = parse_day(day, clock.today())
    rows, open_msgids = await ledger.day_statement(runtime.pool, on, OUTCOME_KNOWN_LATER)
    return {
        "day": on.isoformat(),
        "side": "treating",
        "settlements": [row_of(r) for r in rows],
        "open_msgids": open_msgids,
    }
