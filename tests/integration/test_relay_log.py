"""The hub's log writer against its real database: grouped rows, each caller told of its own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.national_hub.adapters.relay_log import LogWriter, log_row
from services.national_hub.settings import Settings
from shared.db import run_migrations
from shared.envelope import MessageKind, RelayEnvelope

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


class CountingPool:
    """The real pool, counting the statements the writer sends."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.statements = 0

    async def fetch(self, query: str, *args: Any) -> Any:
        self.statements += 1
        return await self.pool.fetch(query, *args)


@pytest.fixture(scope="module")
def database_url() -> str:
    url = Settings().database_url
    run_migrations(ROOT / "services" / "national_hub" / "migrations", url)
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[CountingPool]:
    real = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        yield CountingPool(real)
    finally:
        await real.close()


def envelope() -> RelayEnvelope:
    return RelayEnvelope(
        msgid=f"T{uuid.uuid4().hex[:29]}",
        infno="2207",
        kind=MessageKind.REQUEST,
        sender_admdvs="110000",
        mdtrtarea_admvs="110000",
        insuplc_admdvs="650100",
        fixmedins_code="H11000000001",
        deadline=datetime.now(UTC) + timedelta(seconds=30),
        reply_to="reply.test",
        payload={"data": {"psn_no": "P1", "certno": "110101199001011234"}},
    ).with_hop("treating_region")


async def stored(pool: CountingPool, relay_ids: list[str]) -> Any:
    return await pool.pool.fetch(
        "SELECT relay_id, certno_masked FROM relay_log WHERE relay_id = ANY($1::text[])", relay_ids
    )


async def test_rows_arriving_together_share_statements_and_all_land(pool: CountingPool) -> None:
    writer = LogWriter(pool)
    envelopes = [envelope() for _ in range(30)]
    rows = [log_row(e, stage="ingress", outcome="forwarded", route="cross") for e in envelopes]

    results = await asyncio.gather(*(writer.record(row) for row in rows))

    assert results == [True] * 30
    assert pool.statements < 30  # grouped: the first row goes alone, the rest wait and go together
    found = await stored(pool, [e.relay_id for e in envelopes])
    assert len(found) == 30
    assert all(r["certno_masked"] != "110101199001011234" for r in found)  # masked, never clear


async def test_the_same_row_twice_is_new_only_once(pool: CountingPool) -> None:
    writer = LogWriter(pool)
    row = log_row(envelope(), stage="ingress", outcome="forwarded", route="cross")

    together = await asyncio.gather(writer.record(row), writer.record(row))
    later = await writer.record(row)

    assert sorted(together) == [False, True]
    assert later is False


async def test_a_row_the_database_refuses_fails_only_its_own_caller(pool: CountingPool) -> None:
    writer = LogWriter(pool)
    good = [envelope() for _ in range(5)]
    bad = log_row(envelope(), stage="ingress", outcome="forwarded", route="cross")
    bad = (*bad[:2], "2207-too-long-for-infno", *bad[3:])  # infno is varchar(8)

    results = await asyncio.gather(
        *(writer.record(log_row(e, stage="ingress", outcome="ok", route="intra")) for e in good),
        writer.record(bad),
        return_exceptions=True,
    )

    assert results[:5] == [True] * 5
    assert isinstance(results[5], asyncpg.StringDataRightTruncationError)
    assert len(await stored(pool, [e.relay_id for e in good])) == 5
