"""Money under concurrency: one msgid settles once; one person's year never passes its caps."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from shared import clock
from tests.e2e.harness import OPERATOR, Stack, enrol, file
from tests.e2e.hospital import Hospital
from tests.e2e.relay_client import TreatingRegionDouble
from tests.e2e.test_settlement import inpatient

pytestmark = pytest.mark.e2e

D = Decimal
TODAY = clock.today()


async def test_the_same_msgid_sent_five_times_at_once_settles_once(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    hospital = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await enrol(ahttp, stack, "650100")
    await file(
        ahttp,
        stack,
        person["psn_no"],
        category="12",
        dest_admdvs="110000",
        begndate=str(TODAY - timedelta(days=30)),
    )
    admitted = await hospital.ok(
        "2401",
        "650100",
        {
            "mdtrtinfo": {
                "psn_no": person["psn_no"],
                "insutype": "310",
                "begntime": f"{datetime.now() - timedelta(days=3):%Y-%m-%d %H:%M:%S}",
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": person["certno"],
                "med_type": "21",
                "ipt_no": "ZY5X",
            }
        },
    )
    mdtrt_id = admitted["result"]["mdtrt_id"]
    lines = await hospital.lines(mdtrt_id, person["psn_no"], per_category=1)
    await hospital.ok("2301", "650100", {"feedetail": lines})
    await hospital.ok(
        "2402",
        "650100",
        {
            "dscginfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": person["psn_no"],
                "endtime": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
            }
        },
    )
    total = sum((D(x["det_item_fee_sumamt"]) for x in lines), D(0))
    envelope = hospital.envelope(
        "2304",
        "650100",
        {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "medfee_sumamt": str(total)}},
    )

    answers = await asyncio.gather(*(hospital.send(envelope) for _ in range(5)))

    settled = {a["output"]["setlinfo"]["setl_id"] for a in answers if a["infcode"] == 0}
    others = {a["err_code"] for a in answers if a["infcode"] != 0}
    assert len(settled) == 1
    assert others <= {"E9006"}  # "still being processed", never a second settlement
    year = (
        await ahttp.get(
            f"{stack.insured_url}/admin/persons/{person['psn_no']}/accumulators/{TODAY.year}",
            headers=OPERATOR,
        )
    ).json()
    counters = {r["cum_type_code"]: r["cum"] for r in year["cuminfo"]}
    assert counters["inpatient_stays"] == "1"


async def test_fifty_concurrent_settlements_for_one_person_never_pass_the_caps(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol(ahttp, stack, "650100", balc="0.00")
    await file(
        ahttp,
        stack,
        person["psn_no"],
        category="11",
        dest_admdvs="110000",
        begndate=str(TODAY - timedelta(days=90)),
    )

    replies = await asyncio.gather(
        *(
            treating_double.send(
                "2304", treating="110000", insured="650100", payload=inpatient(person, "20000.00")
            )
            for _ in range(50)
        )
    )

    assert [r.err_code for r in replies] == [None] * 50
    hifp = sum((D(r.payload["setlinfo"]["hifp_pay"]) for r in replies), D(0))
    hifob = sum((D(r.payload["setlinfo"]["hifob_pay"]) for r in replies), D(0))
    policy = (await ahttp.get(f"{stack.insured_url}/policies/650100")).json()
    basic_cap = D(policy["inpatient"]["annual_cap"]["employee_active"])
    assert hifp == basic_cap  # 50 × 20000 in scope is far above the cap: it is reached, not passed
    assert hifob <= D(policy["large_amount"]["annual_cap"])
    year = (
        await ahttp.get(
            f"{stack.insured_url}/admin/persons/{person['psn_no']}/accumulators/{TODAY.year}",
            headers=OPERATOR,
        )
    ).json()
    counters = {r["cum_type_code"]: r["cum"] for r in year["cuminfo"]}
    assert D(counters["inpatient_hifp"]) == hifp
    assert D(counters["hifob"]) == hifob
    assert counters["inpatient_stays"] == "50"
