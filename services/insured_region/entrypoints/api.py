"""The insured region's HTTP side: health and the admin API for persons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from services.insured_region import bootstrap
from services.insured_region.adapters import persons
from services.insured_region.entrypoints.schemas import PersonIn, person_out
from services.insured_region.service_layer import handlers
from services.insured_region.settings import Settings
from shared.envelope import china_today as today
from shared.errors import E1001, E1003, E9002, RelayError
from shared.runtime import Runtime, close_runtime
from shared.web import add_health_route, install_error_handlers


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = await bootstrap.build(settings)
        try:
            yield
        finally:
            await close_runtime(app.state.runtime)

    app = FastAPI(title="Insured region (参保地)", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    add_health_route(app)

    def runtime_of(request: Request) -> Runtime:
        runtime: Runtime = request.app.state.runtime
        return runtime

    @app.post(
        "/admin/persons", tags=["persons"], status_code=201, summary="Enrol an insured person"
    )
    async def create_person(request: Request, body: PersonIn) -> JSONResponse:
        try:
            person = body.to_domain()
        except ValueError as exc:
            raise RelayError(E9002, detail=str(exc)) from exc
        if not await handlers.create_person(runtime_of(request).sessions, person):
            raise RelayError(E1003, detail=person.psn_no)
        return JSONResponse(person_out(person, today()), status_code=201)

    @app.get("/admin/persons/{psn_no}", tags=["persons"], summary="One insured person")
    async def read_person(request: Request, psn_no: str) -> dict[str, Any]:
        async with runtime_of(request).sessions() as session:
            person = await persons.by_psn_no(session, psn_no)
        if person is None:
            raise RelayError(E1001, detail=f"psn_no {psn_no}")
        return person_out(person, today())

    @app.get("/admin/persons", tags=["persons"], summary="Insured persons, by region")
    async def list_persons(
        request: Request,
        admdvs: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        async with runtime_of(request).sessions() as session:
            found = await persons.listing(session, admdvs=admdvs, limit=limit, offset=offset)
        day = today()
        return [person_out(p, day) for p in found]

    return app
