"""2601 reversal of settlements: undone on both sides, idempotent, and ahead of a late original."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared import clock
from tests.e2e.harness import OPERATOR, Stack, enrol, enrol_filed
from tests.e2e.hospital import Hospital
from tests.e2e.relay_client import TreatingRegionDouble
from tests.e2e.test_settlement import inpatient

pytestmark = pytest.mark.e2e

D = Decimal
TODAY = clock.today()


async def discharged_stay(
    hospital: Hospital,
    http: httpx.AsyncClient,
    stack: Stack,
) -> tuple[dict[str, Any], str, Decimal]:
    person = await enrol_filed(http, stack, "650100", "110000", balc="0.00")
    mdtrt_id = (
        await hospital.ok(
            "2401",
            "650100",
            {
                "mdtrtinfo": {
                    "psn_no": person["psn_no"],
                    "insutype": "310",
                    "begntime": f"{datetime.now() - timedelta(days=2):%Y-%m-%d %H:%M:%S}",
                    "mdtrt_cert_type": "02",
                    "mdtrt_cert_no": person["certno"],
                    "med_type": "21",
                    "ipt_no": "ZYREV",
                }
            },
        )
    )["result"]["mdtrt_id"]
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
    return person, mdtrt_id, sum((D(x["det_item_fee_sumamt"]) for x in lines), D(0))


async def year_of(http: httpx.AsyncClient, stack: Stack, psn_no: str) -> dict[str, str]:
    url = f"{stack.insured_url}/admin/persons/{psn_no}/accumulators/{TODAY.year}"
    body = (await http.get(url, headers=OPERATOR)).json()
    return {r["cum_type_code"]: r["cum"] for r in body["cuminfo"]}


async def test_reversing_a_settlement_undoes_it_on_both_sides(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    hospital = Hospital(ahttp, stack, "H11000000001", "110000")
    person, mdtrt_id, total = await discharged_stay(hospital, ahttp, stack)
    settle = hospital.envelope(
        "2304",
        "650100",
        {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "medfee_sumamt": str(total)}},
    )
    settled = await hospital.send(settle)
    assert settled["infcode"] == 0
    assert (await year_of(ahttp, stack, person["psn_no"]))["inpatient_stays"] == "1"

    reversal = hospital.envelope(
        "2601",
        "650100",
        {
            "data": {
                "psn_no": person["psn_no"],
                "omsgid": settle["msgid"],
                "oinfno": "2304",
                "mdtrt_id": mdtrt_id,
            }
        },
    )
    undone = await hospital.send(reversal)
    again = await hospital.send(reversal)

    assert undone["infcode"] == 0, undone
    mirror = undone["output"]["setlinfo"]
    assert mirror["refd_setl_flag"] == "1"
    assert mirror["init_setl_id"] == settled["output"]["setlinfo"]["setl_id"]
    assert again["output"] == undone["output"]
    year = await year_of(ahttp, stack, person["psn_no"])
    assert (year["inpatient_stays"], year["inpatient_hifp"]) == ("0", "0.00")
    assert (await hospital.send(settle))["err_code"] == "E4007"  # the original msgid is spent
    fresh = await hospital.ok(
        "2304",
        "650100",
        {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "medfee_sumamt": str(total)}},
    )
    assert fresh["setlinfo"]["fund_pay_sumamt"] == settled["output"]["setlinfo"]["fund_pay_sumamt"]


async def test_a_reversal_before_its_original_refuses_the_late_original(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    hospital = Hospital(ahttp, stack, "H11000000001", "110000")
    person, mdtrt_id, total = await discharged_stay(hospital, ahttp, stack)
    late = hospital.envelope(
        "2304",
        "650100",
        {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "medfee_sumamt": str(total)}},
    )

    reversal = await hospital.ok(
        "2601",
        "650100",
        {"data": {"psn_no": person["psn_no"], "omsgid": late["msgid"], "oinfno": "2304"}},
    )
    assert reversal["result"]["reversed"] == "tombstone"

    assert (await hospital.send(late))["err_code"] == "E4007"  # refused at the gateway
    direct = await treating_double.send(
        "2304",
        treating="110000",
        insured="650100",
        payload=inpatient(person, "900.00"),
        msgid=late["msgid"],
    )
    assert direct.err_code == "E4007"  # and at the insured region, had it slipped through
    assert (await year_of(ahttp, stack, person["psn_no"]))["inpatient_stays"] == "0"


async def test_an_institution_reverses_only_its_own_messages(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    hospital = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await enrol(ahttp, stack, "650100")
    answer = await hospital.call(
        "2601",
        "650100",
        {
            "data": {
                "psn_no": person["psn_no"],
                "omsgid": "H11000000002" + "2" * 18,
                "oinfno": "2304",
            }
        },
    )
    assert answer["err_code"] == "E9009"
