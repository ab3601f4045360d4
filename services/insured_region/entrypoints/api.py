"""The insured region's HTTP side: health, the operators' admin API for persons and filings
(operator token; personal data masked), and the public policy read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.insured_region import bootstrap
from services.insured_region.adapters.policy_loader import load_policies
from services.insured_region.entrypoints import (
    routes_claims,
    routes_filings,
    routes_ledger,
    routes_persons,
    routes_policy,
)
from services.insured_region.settings import Settings
from shared.messaging.person_index import index_key
from shared.operator_access import install_operator_access
from shared.runtime import close_runtime
from shared.web import ERROR_RESPONSES, add_health_route, install_error_handlers


def create_app(settings: Settings) -> FastAPI:
    # a bad policy file stops start-up here, before any settlement could use it
    policies = load_policies()

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
    app.state.person_index_key = index_key(settings.relay_secret)
    install_error_handlers(app)
    install_operator_access(app, settings)
    add_health_route(app)

    for routes in (routes_persons, routes_filings, routes_policy, routes_ledger, routes_claims):
        app.include_router(routes.router)
    return app
