"""The benchmark's two references, really started (short runs): the bare transport and the
issue's minimal pipeline. Their figures are what ``make bench`` divides the relay's by."""

from __future__ import annotations

import asyncpg
import pytest

from bench.pipeline import Pipeline, closed_loop, post_calls
from bench.relay import open_loop
from bench.transport import measure_ceiling
from services.national_hub.settings import Settings
from sim.http import LeanClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


def dsn(settings: Settings) -> str:
    return settings.database_url.replace("postgresql+asyncpg://", "postgresql://")


async def test_the_transport_ceiling_completes_round_trips(settings: Settings) -> None:
    result = await measure_ceiling(settings.amqp_url, concurrency=4, seconds=1.0, warmup=0.2)
    assert result["timeouts"] == 0
    assert result["round_trips"] > 0
    assert 0 < result["p50_ms"] <= result["p99_ms"]


async def test_the_pipeline_inserts_one_row_per_request_and_cleans_up(settings: Settings) -> None:
    async with Pipeline(settings.amqp_url, dsn(settings), port=18119) as pipeline:
        closed = await closed_loop(
            pipeline.url, concurrency=4, seconds=1.0, size=pipeline.size, warmup=0.2
        )
        client = LeanClient(pipeline.url)
        try:
            step = await open_loop(post_calls(client, pipeline.size, 20), rate=40)
        finally:
            await client.close()
        rows = await pipeline.rows()
        table = f"bench_pipeline_{pipeline.names.run}"
    assert closed["errors"] == 0
    assert closed["round_trips"] > 0
    assert step["errors"] == {}
    assert step["count"] == 20
    # every answered request was committed first; requests outside the window count too
    assert rows >= closed["round_trips"] + 20
    conn = await asyncpg.connect(dsn(settings))
    try:
        assert await conn.fetchval("SELECT to_regclass($1)", table) is None
    finally:
        await conn.close()
