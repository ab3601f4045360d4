"""The hub's HTTP side: health, the transaction log and the person index's size (the relay
itself runs on RabbitMQ)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request

from services.national_hub import bootstrap
from services.national_hub.adapters import person_index, relay_log
from services.national_hub.entrypoints import routes_books, routes_supervision
from services.national_hub.settings import Settings
from shared.operator_access import (
    OPERATOR_RESPONSES,
    OperatorDep,
    install_operator_access,
    operator_access,
)
from shared.runtime import Runtime, close_runtime
from shared.web import ERROR_RESPONSES, add_health_route, install_error_handlers


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = await bootstrap.build(settings)
        try:
            yield
        finally:
            await close_runtime(app.state.runtime)

    app = FastAPI(
        title="National hub (国家平台/省级平台)",
        version="0.1.0",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    install_error_handlers(app)
    install_operator_access(app, settings)
    add_health_route(app)
    app.state.settings = settings
    app.include_router(routes_books.router)
    app.include_router(routes_supervision.router)

    @app.get(
        "/relay-log",
        tags=["transaction log"],
        summary="Operators: messages and hops the hub handled, by msgid, person or region "
        "(personal data masked)",
        responses=OPERATOR_RESPONSES,
    )
    async def read_relay_log(
        request: Request,
        operator: OperatorDep,
        msgid: Annotated[str | None, Query(max_length=40)] = None,
        psn_no: Annotated[str | None, Query(max_length=30)] = None,
        admdvs: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        runtime: Runtime = request.app.state.runtime
        rows = await relay_log.find(
            runtime.engine, msgid=msgid, psn_no=psn_no, admdvs=admdvs, limit=limit
        )
        return operator.view(
            [
                {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
                for row in rows
            ]
        )

    @app.get(
        "/person-index",
        tags=["person index"],
        summary="Operators: persons per insured region in the national person index (no "
        "personal data)",
        responses=OPERATOR_RESPONSES,
        dependencies=[Depends(operator_access)],
    )
    async def read_person_index(request: Request) -> dict[str, int]:
        runtime: Runtime = request.app.state.runtime
        return await person_index.summary(runtime.pool)

    return app
