"""Operators' routes for filings (备案) and chronic-disease filings, as the national app or the
insured region's counter would make them (operator token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.insured_region.entrypoints.app_state import policies_of, runtime_of
from services.insured_region.entrypoints.schemas import (
    ChronicFilingIn,
    FilingIn,
    chronic_filing_out,
    filing_out,
    filings_out,
)
from services.insured_region.service_layer import filings
from shared.clock import today
from shared.operator_access import OPERATOR_RESPONSES, OperatorDep

router = APIRouter()


@router.get(
    "/admin/persons/{psn_no}/filings",
    tags=["filings"],
    summary="A person's filings (备案) and chronic-disease filings",
    responses=OPERATOR_RESPONSES,
)
async def list_filings(request: Request, operator: OperatorDep, psn_no: str) -> dict[str, Any]:
    person = await filings.listing(runtime_of(request).sessions, psn_no)
    return operator.view(filings_out(person))


@router.post(
    "/admin/persons/{psn_no}/filings",
    tags=["filings"],
    status_code=201,
    summary="File (备案) as the national app or the insured region's counter would",
    responses=OPERATOR_RESPONSES,
)
async def create_filing(
    request: Request, operator: OperatorDep, psn_no: str, body: FilingIn
) -> JSONResponse:
    filing = await filings.create(
        runtime_of(request).sessions, policies_of(request), psn_no, body.to_domain(), today()
    )
    return JSONResponse(operator.view(filing_out(filing)), status_code=201)


@router.put(
    "/admin/persons/{psn_no}/filings/{filing_id}",
    tags=["filings"],
    summary="Change a filing (refused inside the region's lock period)",
    responses=OPERATOR_RESPONSES,
)
async def change_filing(
    request: Request, operator: OperatorDep, psn_no: str, filing_id: str, body: FilingIn
) -> dict[str, Any]:
    filing = await filings.change(
        runtime_of(request).sessions,
        policies_of(request),
        psn_no,
        filing_id,
        body.to_domain(),
        today(),
    )
    return operator.view(filing_out(filing))


@router.delete(
    "/admin/persons/{psn_no}/filings/{filing_id}",
    tags=["filings"],
    summary="Cancel a filing (refused inside the region's lock period)",
    responses=OPERATOR_RESPONSES,
)
async def cancel_filing(
    request: Request, operator: OperatorDep, psn_no: str, filing_id: str
) -> dict[str, Any]:
    filing = await filings.cancel(
        runtime_of(request).sessions, policies_of(request), psn_no, filing_id, today()
    )
    return operator.view(filing_out(filing))


@router.post(
    "/admin/persons/{psn_no}/chronic-filings",
    tags=["filings"],
    status_code=201,
    summary="File a chronic disease (门诊慢特病备案)",
    responses=OPERATOR_RESPONSES,
)
async def create_chronic_filing(
    request: Request, operator: OperatorDep, psn_no: str, body: ChronicFilingIn
) -> JSONResponse:
    filing = await filings.create_chronic(
        runtime_of(request).sessions,
        policies_of(request),
        psn_no,
        body.opsp_dise_code,
        body.begndate,
        body.enddate,
        today(),
    )
    return JSONResponse(operator.view(chronic_filing_out(filing)), status_code=201)
