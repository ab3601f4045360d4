"""Operators' routes for cost monitoring (监控预警, design §8): a month analysed — warnings raised
once each — its analysis report (运行分析报告) as JSON or HTML, and the warnings kept."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from services.treating_region.adapters import monitoring as store
from services.treating_region.domain.catalogue import Institution
from services.treating_region.domain.monitoring import Thresholds
from services.treating_region.service_layer import monitoring
from shared.errors import E9002, RelayError
from shared.months import parse_month
from shared.operator_access import OPERATOR_RESPONSES, operator_access
from shared.runtime import Runtime
from shared.web import plain

router = APIRouter(
    tags=["monitoring"], responses=OPERATOR_RESPONSES, dependencies=[Depends(operator_access)]
)


def _month(text: str) -> str:
    try:
        return parse_month(text)
    except ValueError as exc:
        raise RelayError(E9002, detail=f"监测月份 {exc}") from None


async def _analyse(request: Request, month: str) -> monitoring.Analysis:
    runtime: Runtime = request.app.state.runtime
    thresholds: Thresholds = request.app.state.monitoring_thresholds
    institutions: Mapping[str, Institution] = request.app.state.institutions
    pharmacies = frozenset(code for code, i in institutions.items() if i.pharmacy)
    return await monitoring.analyse(runtime.pool, _month(month), thresholds, pharmacies)


@router.post(
    "/admin/monitoring/{month}",
    summary="Operators: analyse a month — indicators per institution and region pair against "
    "the month before; each warning past its threshold is raised once",
)
async def analyse(request: Request, month: str) -> dict[str, Any]:
    return monitoring.report_json(await _analyse(request, month))


@router.get(
    "/admin/monitoring/{month}/report",
    summary="Operators: the month's analysis report (运行分析报告), JSON or HTML with charts",
    response_model=None,
)
async def report(
    request: Request,
    month: str,
    format: Annotated[Literal["json", "html"], Query()] = "html",
) -> Any:
    found = await _analyse(request, month)
    if format == "json":
        return monitoring.report_json(found)
    return HTMLResponse(monitoring.report_html(found))


@router.get("/admin/monitoring-warnings", summary="Operators: the warnings raised, by month")
async def warnings(
    request: Request, month: Annotated[str | None, Query(max_length=7)] = None
) -> list[dict[str, Any]]:
    runtime: Runtime = request.app.state.runtime
    found = await store.raised(runtime.pool, _month(month) if month else None)
    rows: list[dict[str, Any]] = plain(found)
    return rows
