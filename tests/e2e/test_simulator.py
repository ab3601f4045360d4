"""relay-sim against the real stack: a small seeded run settles as planned and balances."""

from __future__ import annotations

import httpx
import pytest

from shared import clock
from sim.plan import plan_cares
from sim.report import RunInfo, summarize
from sim.traffic import Catalogue, Endpoints, Gateway, drive, enrol_all, now_tag, run_care
from tests.e2e.harness import Stack

pytestmark = pytest.mark.e2e


async def test_a_seeded_run_settles_as_planned_and_every_breakdown_balances(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    institutions = (await ahttp.get(f"{stack.treating_url}/institutions")).json()
    plans = plan_cares(11, 60, today=clock.today(), institutions=institutions, tag=now_tag())
    plans = [p for p in plans if p.insured != stack.unserved_region]
    catalogue = Catalogue(ahttp, stack.treating_url)
    await catalogue.load(sorted({p.treating for p in plans}))
    await enrol_all(ahttp, stack.insured_url, plans)
    gateway = Gateway(Endpoints(stack.treating_url, stack.insured_url))

    try:
        outcomes, seconds = await drive(
            plans,
            lambda plan, t0: run_care(gateway, catalogue, ahttp, stack.insured_url, plan, t0),
            concurrency=8,
            rate=None,
        )
    finally:
        await gateway.close()

    expected = {p.case: p.expect for p in plans}
    off_plan = [
        (o.case, o.err_code)
        for o in outcomes
        if o.outcome != "settled" and o.err_code != expected[o.case]
    ]
    assert off_plan == []
    summary = summarize(outcomes, RunInfo(11, len(plans), seconds, 8, None, "now"))
    assert summary["identities"]["violations"] == 0
    assert summary["identities"]["checked"] >= len(plans) - 5
    assert summary["settlements"]["by_outcome"]["settled"] == summary["identities"]["checked"]
