"""The insured region's HTTP side: health, the operators' admin API for persons and filings
(operator token; personal data masked), and the public policy read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse

from services.insured_region import bootstrap
from services.insured_region.adapters import persons
from services.insured_region.adapters.policy_loader import load_policies
from services.insured_region.entrypoints.schemas import (
    ChronicFilingIn,
    FilingIn,
    PersonIn,
    chronic_filing_out,
    filing_out,
    filings_out,
    person_out,
    policy_out,
)
from services.insured_region.service_layer import enquiries, enrolment, filings
from services.insured_region.service_layer.unit_of_work import UnitOfWork
from services.insured_region.settings import Settings
from shared.envelope import china_today as today
from shared.errors import E1001, E1003, E5001, E9002, RelayError
from shared.messaging import outbox
from shared.messaging.person_index import index_key
from shared.operator_access import OPERATOR_RESPONSES, OperatorDep, install_operator_access
from shared.runtime import Runtime, close_runtime
from shared.web import ERROR_RESPONSES, add_health_route, install_error_handlers


def create_app(settings: Settings) -> FastAPI:
    # a bad policy file stops start-up here, before any settlement could use it
    policies = load_policies()
    person_index_key = index_key(settings.relay_secret)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = await bootstrap.build(settings, policies)
        try:
            yield
        finally:
            await close_runtime(app.state.runtime)

    app = FastAPI(
        title="Insured region (参保地)",
        version="0.1.0",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.policies = policies
    install_error_handlers(app)
    install_operator_access(app, settings)
    add_health_route(app)

    def runtime_of(request: Request) -> Runtime:
        runtime: Runtime = request.app.state.runtime
        return runtime

    @app.post(
        "/admin/persons",
        tags=["persons"],
        status_code=201,
        summary="Enrol an insured person",
        responses=OPERATOR_RESPONSES,
    )
    async def create_person(
        request: Request, operator: OperatorDep, body: PersonIn
    ) -> JSONResponse:
        try:
            person = body.to_domain()
        except ValueError as exc:
            raise RelayError(E9002, detail=str(exc)) from exc
        runtime = runtime_of(request)
        events = await enrolment.enrol(runtime.sessions, person, person_index_key)
        if events is None:
            raise RelayError(E1003, detail=person.psn_no)
        # the national person index learns of the person now; the outbox is the backstop
        await outbox.publish_now(runtime.pool, runtime.broker, events)
        return JSONResponse(operator.view(person_out(person, today())), status_code=201)

    @app.get(
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

    @app.get(
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

    @app.get(
        "/admin/persons/{psn_no}/filings",
        tags=["filings"],
        summary="A person's filings (备案) and chronic-disease filings",
        responses=OPERATOR_RESPONSES,
    )
    async def list_filings(request: Request, operator: OperatorDep, psn_no: str) -> dict[str, Any]:
        person = await filings.listing(runtime_of(request).sessions, psn_no)
        return operator.view(filings_out(person))

    @app.post(
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
            runtime_of(request).sessions, policies, psn_no, body.to_domain(), today()
        )
        return JSONResponse(operator.view(filing_out(filing)), status_code=201)

    @app.put(
        "/admin/persons/{psn_no}/filings/{filing_id}",
        tags=["filings"],
        summary="Change a filing (refused inside the region's lock period)",
        responses=OPERATOR_RESPONSES,
    )
    async def change_filing(
        request: Request, operator: OperatorDep, psn_no: str, filing_id: str, body: FilingIn
    ) -> dict[str, Any]:
        filing = await filings.change(
            runtime_of(request).sessions, policies, psn_no, filing_id, body.to_domain(), today()
        )
        return operator.view(filing_out(filing))

    @app.delete(
        "/admin/persons/{psn_no}/filings/{filing_id}",
        tags=["filings"],
        summary="Cancel a filing (refused inside the region's lock period)",
        responses=OPERATOR_RESPONSES,
    )
    async def cancel_filing(
        request: Request, operator: OperatorDep, psn_no: str, filing_id: str
    ) -> dict[str, Any]:
        filing = await filings.cancel(
            runtime_of(request).sessions, policies, psn_no, filing_id, today()
        )
        return operator.view(filing_out(filing))

    @app.post(
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
            policies,
            psn_no,
            body.opsp_dise_code,
            body.begndate,
            body.enddate,
            today(),
        )
        return JSONResponse(operator.view(chronic_filing_out(filing)), status_code=201)

    @app.get(
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

    @app.get(
        "/policies/{admdvs}",
        tags=["policy"],
        summary="The policy in force for a region (public: no personal data)",
    )
    async def read_policy(admdvs: str) -> dict[str, Any]:
        policy = policies.get(admdvs)
        if policy is None:
            raise RelayError(E5001, detail=f"没有 {admdvs} 的医保政策")
        return policy_out(policy)

    return app
