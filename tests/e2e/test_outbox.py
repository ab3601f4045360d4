"""The owed-reply outbox: a reply whose process died between commit and publish is still sent."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from bench.stack import database_url
from tests.e2e.harness import E2E_SUFFIX, Stack, enrol_filed
from tests.e2e.relay_client import TreatingRegionDouble
from tests.e2e.test_settlement import inpatient

pytestmark = pytest.mark.e2e


async def test_an_owed_reply_is_sent_by_the_outbox_relay_and_then_paid(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol_filed(ahttp, stack, "650100", "110000")
    payload = inpatient(person, "900.00")
    msgid = treating_double.msgid("H11000000077")
    settled = await treating_double.send(
        "2304", treating="110000", insured="650100", payload=payload, msgid=msgid
    )
    assert settled.err_code is None, settled.err_detail
    conn = await asyncpg.connect(database_url("insured_region", E2E_SUFFIX, driver="postgresql"))
    try:
        owed = "SELECT count(*) FROM owed_reply WHERE msgid = $1"
        for _ in range(30):  # paid once the broker confirmed the reply (struck in batches)
            if await conn.fetchval(owed, msgid) == 0:
                break
            await asyncio.sleep(0.1)
        assert await conn.fetchval(owed, msgid) == 0
        # the state a crash between commit and publish leaves: the effect, and the row owing it
        lost = treating_double.request(
            "2304", treating="110000", insured="650100", payload=payload, msgid=msgid
        )
        await conn.execute(
            """INSERT INTO owed_reply (relay_id, msgid, request, created_at)
               VALUES ($1, $2, $3::jsonb, now() - interval '1 minute')""",
            lost.relay_id,
            msgid,
            lost.model_dump_json(),
        )
        for _ in range(100):
            if any(r.relay_id == lost.relay_id for r in treating_double.late):
                break
            await asyncio.sleep(0.1)
        replies = [r for r in treating_double.late if r.relay_id == lost.relay_id]
        assert len(replies) == 1
        assert replies[0].err_code is None
        assert replies[0].payload["setlinfo"] == settled.payload["setlinfo"]
        for _ in range(20):  # the row goes once the relay's publish is confirmed
            if await conn.fetchval(owed, msgid) == 0:
                break
            await asyncio.sleep(0.1)
        assert await conn.fetchval(owed, msgid) == 0
    finally:
        await conn.close()
