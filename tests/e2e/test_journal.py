"""The hub's log comes from the journal stream, and can be written again from it (design §4)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from typing import Any

import asyncpg
import httpx
import pytest

from bench.stack import database_url
from services.national_hub.adapters.journal import JOURNAL_STAGES
from tests.e2e.harness import (
    E2E_SUFFIX,
    GATEWAY,
    OPERATOR,
    Stack,
    envelope_1101,
    hops,
    hub_log,
    new_person,
    signed,
)
from tests.e2e.relay_client import DEFAULT_AMQP_URL

pytestmark = pytest.mark.e2e

QUIET_S = 1.0
"""The log must stay unchanged this long before the rebuild: nothing else is passing."""


async def _journal_count() -> int:
    conn = await asyncpg.connect(database_url("national_hub", E2E_SUFFIX, driver="postgresql"))
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM relay_log WHERE stage = ANY($1::text[])", list(JOURNAL_STAGES)
        )
        return count
    finally:
        await conn.close()


async def _quiet_count(limit_s: float = 30.0) -> int:
    """The journal rows' count once it has not moved for ``QUIET_S``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    last = await _journal_count()
    while loop.time() < deadline:
        await asyncio.sleep(QUIET_S)
        now = await _journal_count()
        if now == last:
            return now
        last = now
    raise AssertionError(f"the hub's log kept growing for {limit_s} s")


def _settle_one(http: httpx.Client, stack: Stack) -> dict[str, Any]:
    person = new_person("650100")
    response = http.post(f"{stack.insured_url}/admin/persons", json=person, headers=OPERATOR)
    assert response.status_code == 201, response.text
    body = envelope_1101(
        treating="110000", insured="650100", certno=person["certno"], psn_name=person["psn_name"]
    )
    answer = http.post(
        f"{stack.treating_url}{GATEWAY}", json=body, headers=signed(body["fixmedins_code"])
    ).json()
    assert answer["infcode"] == 0, answer
    return body


def test_the_log_is_rebuilt_from_the_stream_to_exactly_what_it_was(
    http: httpx.Client, stack: Stack
) -> None:
    body = _settle_one(http, stack)
    fields = ("relay_id", "kind", "stage", "sender_admdvs", "outcome", "route", "infno")
    before = hops(hub_log(http, stack, body["msgid"], rows=2), *fields)
    assert [(kind, stage) for _, kind, stage, *_ in before] == [
        ("reply", "reply"),
        ("request", "insured"),
    ]
    total_before = asyncio.run(_quiet_count())

    env = {
        **os.environ,
        "NATIONAL_HUB_AMQP_URL": os.environ.get("RELAY_E2E_AMQP_URL", DEFAULT_AMQP_URL),
        "NATIONAL_HUB_DATABASE_URL": database_url("national_hub", E2E_SUFFIX),
    }
    done = subprocess.run(
        [sys.executable, "-m", "services.national_hub", "rebuild-log", "--idle", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    match = re.search(r"(\d+) rows written", done.stdout)
    assert match, done.stdout
    written = int(match.group(1))

    # every row the live journal had written, and no other, was written again from the stream
    assert written == total_before
    assert asyncio.run(_journal_count()) == total_before
    after = hops(hub_log(http, stack, body["msgid"], rows=2), *fields)
    assert after == before
