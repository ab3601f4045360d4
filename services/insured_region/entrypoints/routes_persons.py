"""Operators' routes for insured persons: enrol, read, list, and the year's accumulators
(operator token; personal data masked unless unmasked=true with the PII token)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from services.insured_region.adapters import persons
from services.insured_region.entrypoints.app_state import person_index_key_of, runtime_of
from services.insured_region.entrypoints.schemas import PersonIn, person_out
from services.insured_region.service_layer import enquiries, enrolment
from services.insured_region.service_layer.unit_of_work import UnitOfWork
from shared.clock import today
from shared.errors import E1001, E1003, E9002, RelayError
from shared.messaging import outbox
from shared.operator_access import OPERATOR_RESPONSES, OperatorDep

router = APIRouter()


@router.post(
    "/admin/persons",
    tags=["persons"],
    status_code=201,
    summary="Enrol an insured person",
    responses=OPERATOR_RESPONSES,
)
async def create_person(request: Request, operator: OperatorDep, body: PersonIn) -> JSONResponse:
    try:
        person = body.to_domain()
    except ValueError as exc:
        raise RelayError(E9002, detail=str(exc)) from exc
    runtime = runtime_of(request)
    events = await enrolment.enrol(runtime.sessions, person, person_index_key_of(request))
    if events is None:
        raise RelayError(E1003, detail=person.psn_no)
    # the national person index learns of the person now; the outbox is the backstop
    await outbox.publish_now(runtime.pool, runtime.brokers, events)
    return JSONResponse(operator.view(person_out(person, today())), status_code=201)


@router.get(
    "/admin/persons/{psn_no}",
    tags=["persons"],
    summary="One insured person (id number, name and birth date masked unless unmasked=true "
    "with the PII token)",
    responses=OPERATOR_RESPONSES,
)
async def read_person(request: Request, operator: OperatorDep, psn_no: str) -> dict[str, Any]:
    async with runtime_of(request).sessions() as session:
        person = await persons.by_psn_no(session, psn_no)
    if person is None:
        raise RelayError(E1001, detail=f"psn_no {psn_no}")
    return operator.view(person_out(person, today()))


@router.get(
    "/admin/persons",
    tags=["persons"],
    summary="Insured persons, by region (masked unless unmasked=true with the PII token)",
    responses=OPERATOR_RESPONSES,
)
async def list_persons(
    request: Request,
    operator: OperatorDep,
    admdvs: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[dict[str, Any]]:
    async with runtime_of(request).sessions() as session:
        found = await persons.listing(session, admdvs=admdvs, limit=limit, offset=offset)
    day = today()
    return operator.view([person_out(p, day) for p in found])


@router.get(
    "/admin/persons/{psn_no}/accumulators/{year}",
    tags=["persons"],
    summary="The person's accumulators of one year (as 5206 answers)",
    responses=OPERATOR_RESPONSES,
)
async def read_accumulators(
    request: Request,
    operator: OperatorDep,
    psn_no: str,
    year: Annotated[int, Path(ge=2000, le=2100)],
) -> dict[str, Any]:
    async with runtime_of(request).sessions() as session:
        person = await persons.by_psn_no(session, psn_no)
    if person is None:
        raise RelayError(E1001, detail=f"psn_no {psn_no}")
    return operator.view(
        await enquiries.cumulative(
            UnitOfWork(runtime_of(request).pool), person.insuplc_admdvs, psn_no, year
        )
    )
