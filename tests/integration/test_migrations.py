"""Each service's Alembic tree, applied to its real database, matches its ORM models."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from services.insured_region.adapters.orm import Base as InsuredBase
from services.insured_region.settings import Settings as InsuredSettings
from services.national_hub.adapters.orm import Base as HubBase
from services.national_hub.settings import Settings as HubSettings
from services.treating_region.adapters.orm import Base as TreatingBase
from services.treating_region.settings import Settings as TreatingSettings
from shared.db import make_engine, run_migrations

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

SERVICES = [
    pytest.param("national_hub", HubSettings, HubBase.metadata, id="national_hub"),
    pytest.param("insured_region", InsuredSettings, InsuredBase.metadata, id="insured_region"),
    pytest.param("treating_region", TreatingSettings, TreatingBase.metadata, id="treating_region"),
]


def _diff(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize(("service", "settings_cls", "metadata"), SERVICES)
def test_migrations_reach_the_models(
    service: str, settings_cls: type[Any], metadata: MetaData
) -> None:
    settings = settings_cls()
    # alembic's env runs its own event loop, so this test stays synchronous
    run_migrations(ROOT / "services" / service / "migrations", settings.database_url)

    async def diff() -> list[Any]:
        engine = make_engine(settings.database_url, pool_size=1)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(_diff, metadata)
        finally:
            await engine.dispose()

    differences = asyncio.run(diff())
    assert differences == [], f"{service}: models and migrations differ: {differences}"
