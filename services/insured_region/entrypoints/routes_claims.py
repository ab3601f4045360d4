"""Manual reimbursement (零星报销) at the insured region (operators): a person's claim on a visit
the hospital uploaded as self-paid, settled under this region's catalogue and policy, and the
claims settled so far."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Query, Request
from pydantic import Field

from services.insured_region.adapters import ledger
from services.insured_region.entrypoints.app_state import policies_of, runtime_of
from services.insured_region.service_layer import manual_claims
from services.insured_region.service_layer.unit_of_work import UnitOfWork
from services.insured_region.settings import Settings
from shared import clock
from shared.operator_access import OPERATOR_RESPONSES, OperatorDep
from shared.web import StorableInput, plain

router = APIRouter(tags=["manual reimbursement"], responses=OPERATOR_RESPONSES)


class ClaimIn(StorableInput):
    psn_no: str = Field(min_length=1, max_length=30)
    visit_id: int = Field(
        ge=1, le=2**63 - 1, description="the self-paid visit the hospital uploaded"
    )


@router.post(
    "/admin/manual-claims",
    summary="Operators: settle a person's manual claim (零星报销) on a self-paid visit under this "
    "region's catalogue and policy; a filing is made if none covers it (referral level)",
)
async def claim(request: Request, body: ClaimIn, operator: OperatorDep) -> dict[str, Any]:
    runtime = runtime_of(request)
    settings = runtime.settings
    assert isinstance(settings, Settings)
    source = manual_claims.TreatingSource(settings.treating_url, settings.treating_operator_token)
    async with httpx.AsyncClient(timeout=15.0, trust_env=False) as http:
        found = await manual_claims.claim(
            UnitOfWork(runtime.pool),
            runtime.sessions,
            policies_of(request),
            http,
            source,
            body.psn_no,
            body.visit_id,
            clock.today(),
        )
    return operator.view(found)


@router.get("/admin/manual-claims", summary="Operators: manual claims settled, by person")
async def claims(
    request: Request,
    operator: OperatorDep,
    psn_no: Annotated[str | None, Query(max_length=30, pattern=r"^[0-9A-Za-z_-]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    rows = await ledger.manual_claims(runtime_of(request).pool, psn_no, limit)
    return operator.view(plain(rows))
