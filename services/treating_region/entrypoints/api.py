"""The treating region's HTTP side: the hospital gateway and the reads of a message's outcome
(``routes_gateway``), the catalogues and institutions (``routes_catalogue``); this module only
wires them, with the OpenAPI document's national envelope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.treating_region import bootstrap
from services.treating_region.adapters.catalogue_loader import load_catalogues, load_institutions
from services.treating_region.domain.monitoring import THRESHOLDS_FILE, load_thresholds
from services.treating_region.entrypoints import (
    routes_catalogue,
    routes_conformance,
    routes_gateway,
    routes_ledger,
    routes_monitoring,
    routes_selfpaid,
)
from services.treating_region.entrypoints.access import SignatureCheck
from services.treating_region.entrypoints.schemas import request_schema, response_schema
from services.treating_region.settings import Settings
from shared.operator_access import install_operator_access
from shared.regions import parse_region_list
from shared.runtime import close_runtime
from shared.web import ERROR_RESPONSES, add_health_route, install_error_handlers


def create_app(settings: Settings) -> FastAPI:
    # bad catalogue or institution data stops start-up here
    catalogues = load_catalogues(parse_region_list(settings.regions))
    signatures = SignatureCheck(settings.hospital_secret) if settings.require_signature else None
    # reads are always signed, whatever require_signature says: the signature is how the relay
    # knows whose messages the caller may read
    read_signatures = SignatureCheck(settings.hospital_secret)
    institutions = load_institutions()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime, gateway = await bootstrap.build(settings, catalogues, institutions)
        app.state.runtime = runtime
        app.state.gateway = gateway
        try:
            yield
        finally:
            await close_runtime(runtime)

    app = FastAPI(
        title="Treating region (就医地) — hospital gateway",
        version="0.1.0",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    install_error_handlers(app)
    install_operator_access(app, settings)
    add_health_route(app)
    app.state.max_body_bytes = settings.max_body_bytes
    app.state.signatures = signatures
    app.state.read_signatures = read_signatures
    app.state.catalogues = catalogues
    app.state.institutions = institutions
    app.state.monitoring_thresholds = load_thresholds(
        Path(settings.monitoring_thresholds_file) if settings.monitoring_thresholds_file
        else THRESHOLDS_FILE
    )  # fmt: skip
    for routes in (
        routes_gateway,
        routes_catalogue,
        routes_conformance,
        routes_ledger,
        routes_monitoring,
        routes_selfpaid,
    ):
        app.include_router(routes.router)
    app.include_router(routes_conformance.operator_router)

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for generated in (request_schema(), response_schema()):
            components.update(generated.pop("$defs", {}))
            components[generated["title"]] = generated
        app.openapi_schema = schema
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]  # FastAPI's documented override
    return app
